"""The web chat widget's public URLs, mounted at /widget/ (see webchat/views.py)."""

from django.urls import path

from . import views

app_name = "widget"

urlpatterns = [
    path("demo/", views.demo, name="demo"),
    path("<uuid:channel_uuid>.js", views.script, name="script"),
    path("<uuid:channel_uuid>/", views.root, name="root"),
    path("<uuid:channel_uuid>/session/", views.session, name="session"),
    path("<uuid:channel_uuid>/messages/", views.messages, name="messages"),
]
