"""The agents' websocket: session-authenticated, membership-checked, workspace-scoped."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from workspaces.selectors import membership_for

from . import events


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the workspace's events to one member's browser. Anonymous or non-member: refused."""

    async def connect(self):
        user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        membership = None
        if user is not None and user.is_authenticated:
            membership = await database_sync_to_async(membership_for)(user=user, slug=slug)
        if membership is None:
            await self.close(code=4403)
            return
        self.membership_id = membership.pk
        # Group names are derived here from server-side ids only, never from client input.
        self.group = events.workspace_group(membership.workspace_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "payload": {"member_id": membership.pk}})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"event": "pong", "payload": {}})

    async def parley_event(self, message):
        await self.send_json({"event": message["event"], "payload": message["payload"]})
