"""The web chat visitors' websocket: authenticated only by the visitor token, origin-checked per channel.

A visitor's socket joins exactly one group, derived here from the token's channel and the contact
behind its visitor id. Before the visitor's first message there is no contact yet: the widget sends
{"type": "sync"} after posting and the socket joins then ("ready" tells the widget to resync).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from inbox.models import Channel
from realtime import events
from webchat import services as webchat


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return ""


def own_origins(scope: dict) -> tuple[str, ...]:
    """The app's own origin as this socket reached it, when its Host is one of ALLOWED_HOSTS."""
    host = _header(scope, b"host")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return ()
    scheme = "https" if scope.get("scheme") in {"wss", "https"} else "http"
    return (f"{scheme}://{host}",)


@database_sync_to_async
def _channel(channel_uuid) -> Channel | None:
    return Channel.objects.filter(uuid=channel_uuid, kind=Channel.Kind.WEBCHAT, is_active=True).first()


@database_sync_to_async
def _contact_id(channel: Channel, visitor_id: str) -> int | None:
    return webchat.visitor_contact_id(channel, visitor_id)


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    """Forwards agents' replies to one visitor. Wrong origin, channel or token: refused before accept."""

    chat_channel: Channel | None = None
    group: str | None = None

    async def connect(self):
        channel = await _channel(self.scope["url_route"]["kwargs"]["channel_uuid"])
        if channel is None:
            await self.close(code=4404)
            return
        if not webchat.origin_allowed(channel, _header(self.scope, b"origin"), own=own_origins(self.scope)):
            await self.close(code=4403)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        visitor = webchat.read_token((query.get("token") or [""])[0], channel)
        if visitor is None:
            await self.close(code=4401)
            return
        self.chat_channel = channel
        self.visitor_id = visitor.visitor_id
        await self.accept()
        await self._subscribe()

    async def _subscribe(self) -> None:
        """Join the visitor's group once the contact exists; tell the widget either way."""
        if self.group is None:
            contact_id = await _contact_id(self.chat_channel, self.visitor_id)
            if contact_id is not None:
                self.group = events.visitor_group(self.chat_channel.pk, contact_id)
                await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"event": "ready", "payload": {"subscribed": self.group is not None}})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"event": "pong", "payload": {}})
        elif kind == "sync" and self.chat_channel is not None:
            await self._subscribe()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > 1000:
            return  # the socket only listens; nothing a visitor sends here is stored
        try:
            await super().receive(text_data=text_data, **kwargs)
        except ValueError:
            return

    async def visitor_message(self, message):
        await self.send_json({"event": "message", "payload": message["payload"]})
