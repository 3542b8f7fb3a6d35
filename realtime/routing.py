from django.urls import path

from . import consumers

# The agents' socket: behind AllowedHostsOriginValidator and the session (config/asgi.py).
websocket_urlpatterns = [
    path("ws/w/<slug:slug>/", consumers.AgentConsumer.as_asgi()),
]
