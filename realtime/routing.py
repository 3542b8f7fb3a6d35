from django.urls import path

from . import consumers, visitor_consumer

# The agents' socket: behind AllowedHostsOriginValidator and the session (config/asgi.py).
websocket_urlpatterns = [
    path("ws/w/<slug:slug>/", consumers.AgentConsumer.as_asgi()),
]

# The web chat visitors' socket: foreign origins, checked against the channel's allowed origins
# by the consumer itself; no session.
visitor_websocket_urlpatterns = [
    path("ws/widget/<uuid:channel_uuid>/", visitor_consumer.VisitorConsumer.as_asgi()),
]
