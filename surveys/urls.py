from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("send/<int:conversation_id>/", views.send, name="send"),
    path("answers/<int:conversation_id>/", views.answers, name="answers"),
]
