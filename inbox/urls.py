from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("messages/", views.queue, name="queue"),
    path("review/", views.review, name="review"),
]
