from django.urls import path

from . import views

app_name = "emojis"

urlpatterns = [
    path("emoji.json", views.emoji_list, name="list"),
]
