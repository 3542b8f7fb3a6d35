from django.urls import path

from . import file_views, views

app_name = "inbox"

urlpatterns = [
    path("messages/", views.queue, name="queue"),
    path("messages/queue/", views.queue_panel, name="queue_panel"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/history/", views.history, name="history"),
    path("messages/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("messages/<int:conversation_id>/read/", views.read, name="read"),
    path("messages/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("messages/<int:conversation_id>/close/", views.close, name="close"),
    path("messages/<int:conversation_id>/messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("attachments/<int:attachment_id>/", file_views.attachment, name="attachment"),
]
