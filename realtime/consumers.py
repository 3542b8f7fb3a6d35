"""The agents' websocket: session-authenticated, membership-checked, workspace-scoped, and revocable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare

from workspaces.middleware import language_for

from . import events, journal, presence, sessions

log = logging.getLogger(__name__)

REVALIDATE = "parley.revalidate"  # handled by parley_revalidate
RELOAD = "resync.reload"  # to the browser: what it missed is gone from the journal, reload the panels


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the workspace's events to one member's browser for as long as session and membership last.

    Refused before accept: anonymous, a session no longer valid, a non-member. Besides the workspace's
    group it joins two control groups (the user's and the session's) through which realtime.sessions
    closes it; once revoked it forwards nothing more.
    """

    # Safety net, not the mechanism: catches a lost control message, an expired session and the
    # channel layer's group expiry (the groups are joined again on each check).
    revalidate_seconds: float = 120.0

    revoked = False
    workspace_id: int | None = None

    async def connect(self):
        user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.joined: list[str] = []
        self.watcher: asyncio.Task | None = None
        if user is None or not user.is_authenticated or not self.session_key:
            await self.close(code=sessions.CLOSE_NOT_MEMBER)
            return
        self.session_tags = [sessions.session_tag(self.session_key)]
        # Control groups first, then the check against the stores: a revocation committed before the
        # check is seen by it, one committed after it reaches this socket through the groups.
        await self._join(events.user_group(user.pk), sessions.session_group(self.session_key))
        try:
            membership = await database_sync_to_async(sessions.check_socket)(session_key=self.session_key,
                                                                            slug=self.slug)
        except sessions.SocketRefused:
            membership = None
        if membership is None or membership.user_id != user.pk:
            await self._leave()
            await self.close(code=sessions.CLOSE_NOT_MEMBER)
            return
        self.membership_id = membership.pk
        self.role = membership.role
        headers = dict(self.scope.get("headers") or [])
        self.language = language_for(membership.user, headers.get(b"accept-language", b"").decode("latin-1"))
        self.workspace_id = membership.workspace_id
        # Group names are derived from server-side ids only, never from client input.
        await self._join(events.workspace_group(membership.workspace_id))
        await self.accept()
        await self._presence(presence.socket_opened, workspace_id=self.workspace_id)  # online once "hello" comes
        await self.send_json({"event": "hello", "payload": {"member_id": membership.pk}})
        self.watcher = asyncio.create_task(self._watch())

    async def _presence(self, update, **extra) -> None:
        """Online while this socket lives (realtime.presence); a cache hiccup never breaks the socket."""
        try:
            await database_sync_to_async(update)(membership_id=self.membership_id, socket_id=self.channel_name,
                                                 **extra)
        except Exception:
            log.warning("could not update presence", exc_info=True)

    async def disconnect(self, code):
        self._stop_watching()
        await self._leave()
        if getattr(self, "membership_id", None) is not None:
            await self._presence(presence.socket_closed)

    async def receive_json(self, content, **kwargs):
        if self.revoked or not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.send_json({"event": "pong", "payload": {}})
            await self._presence(presence.heartbeat)
        elif content.get("type") == "resume":
            await self._resume(content.get("after"))

    async def parley_event(self, message):
        if self.revoked:  # an event queued behind the revocation is never forwarded
            return
        frame = {"event": message["event"], "payload": message["payload"]}
        if message.get("seq") is not None:
            frame["seq"] = message["seq"]
        await self.send_json(frame)

    async def _resume(self, after) -> None:
        """Replay every frame of the workspace after seq `after` (the page's, or the last one it applied).

        Frames published meanwhile wait behind this handler (a consumer handles one message at a time),
        so the replay comes first and the live stream follows; the browser drops by seq what it gets twice.
        When the journal cannot fill the range (too old, too large, the counter started again), the page
        is told to reload what it shows instead.
        """
        frames = None
        if isinstance(after, int) and not isinstance(after, bool) and after >= 0:
            try:
                frames = await sync_to_async(journal.replay, thread_sensitive=False)(self.workspace_id, after)
            except journal.Gap:
                pass
            except Exception:  # a journal that cannot be read is a gap too
                log.exception("could not replay the live journal")
        if frames is None:
            await self.send_json({"event": RELOAD, "payload": {}})
            return
        for frame in frames:
            if self.revoked:
                return
            await self.send_json(frame)

    async def parley_revoke(self, message):
        """A control message from realtime.sessions: close unless it spares this socket."""
        if self.revoked:
            return
        workspace_id = message.get("workspace_id")
        if workspace_id is not None and workspace_id != self.workspace_id:
            return
        keep = message.get("keep")
        if keep and any(constant_time_compare(keep, tag) for tag in self.session_tags):
            renewed = message.get("renewed")
            if renewed and renewed not in self.session_tags:
                # The kept session got a new key (update_session_auth_hash): follow it, so its logout
                # reaches this socket; the periodic check then asks the browser to reconnect with it.
                self.session_tags.append(renewed)
                await self._join(sessions.tag_group(renewed))
            return
        await self._end(message["reason"])

    async def parley_revalidate(self, message):
        if self.revoked:
            return
        for group in self.joined:  # refreshes the layer's group expiry
            await self.channel_layer.group_add(group, self.channel_name)
        try:
            membership = await database_sync_to_async(sessions.check_socket)(session_key=self.session_key,
                                                                            slug=self.slug)
        except sessions.SocketRefused as refused:
            renewed = len(self.session_tags) > 1 and refused.code == sessions.CLOSE_SESSION_ENDED
            await self._end(sessions.SESSION_RENEWED if renewed else refused.reason)
            return
        if membership.pk != self.membership_id or membership.role != self.role:
            await self._end(sessions.ROLE_CHANGED)

    # ---- internals -------------------------------------------------------------------------------

    async def _end(self, reason: str) -> None:
        """Stop forwarding at once, tell the browser why, close with the reason's code."""
        self.revoked = True
        self._stop_watching()
        await self._leave()
        code = sessions.close_code(reason)
        if code != sessions.CLOSE_RECONNECT:  # a reconnect needs no notice
            await self.send_json({"event": "session.ended", "payload": self._notice(reason, code)})
        await self.close(code=code)

    def _notice(self, reason: str, code: int) -> dict:
        with translation.override(self.language or None):
            if code == sessions.CLOSE_SESSION_ENDED:
                next_url = reverse("workspace_home", kwargs={"slug": self.slug})
                link_url, link_text = f"{reverse('login')}?{urlencode({'next': next_url})}", sessions.SIGN_IN_TEXT
            else:
                link_url, link_text = reverse("home"), sessions.WORKSPACES_TEXT
            return {"reason": reason, "notice": str(sessions.NOTICES[reason]), "link_url": link_url,
                    "link_text": str(link_text)}

    async def _join(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)

    async def _leave(self) -> None:
        groups, self.joined = getattr(self, "joined", []), []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _watch(self) -> None:
        while True:
            # Jittered, so sockets opened together do not query together.
            await asyncio.sleep(self.revalidate_seconds * random.uniform(0.8, 1.2))
            with contextlib.suppress(Exception):  # a layer hiccup skips one check; the next one runs
                await self.channel_layer.send(self.channel_name, {"type": REVALIDATE})

    def _stop_watching(self) -> None:
        watcher, self.watcher = getattr(self, "watcher", None), None
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
