"""The web chat widget's public URLs, mounted at /widget/ (see inbox/widget_views.py)."""

from django.urls import path

from . import widget_views

app_name = "widget"

urlpatterns = [
    path("demo/", widget_views.demo, name="demo"),
    path("<uuid:channel_uuid>.js", widget_views.script, name="script"),
    path("<uuid:channel_uuid>/", widget_views.root, name="root"),
    path("<uuid:channel_uuid>/session/", widget_views.session, name="session"),
    path("<uuid:channel_uuid>/messages/", widget_views.messages, name="messages"),
]
