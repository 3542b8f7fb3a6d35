from django.urls import path

from . import consumer

# The web chat visitors' socket: foreign origins, checked against the channel's allowed origins
# by the consumer itself; no session (config/asgi.py routes /ws/widget/ here).
visitor_websocket_urlpatterns = [
    path("ws/widget/<uuid:channel_uuid>/", consumer.VisitorConsumer.as_asgi()),
]
