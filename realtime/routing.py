from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/w/<slug:slug>/", consumers.AgentConsumer.as_asgi()),
]
