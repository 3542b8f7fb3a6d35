"""Live event names and the one way to publish them: numbered, kept for replay, to groups derived here only.

Services never publish: they record domain events (kernel.dispatch); the live-push listeners
(inbox/listeners.py) render and publish one frame per event after commit, in one Redis round trip.
"""

from __future__ import annotations

import logging

from . import journal, sender

log = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
CONVERSATION_OPENED = "conversation.opened"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_UNASSIGNED = "conversation.unassigned"
CONVERSATION_CLOSED = "conversation.closed"

ALL = frozenset({MESSAGE_CREATED, MESSAGE_UPDATED, CONVERSATION_OPENED, CONVERSATION_UPDATED,
                 CONVERSATION_ASSIGNED, CONVERSATION_UNASSIGNED, CONVERSATION_CLOSED})


def workspace_group(workspace_id: int) -> str:
    return f"ws.{int(workspace_id)}"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def publish(workspace_id: int, name: str, payload: dict) -> int | None:
    """Send one frame to the workspace's group now, numbered and kept for replay (realtime.journal).

    Called after commit (the live-push listeners run then). One Redis round trip in the services mode.
    Returns the frame's seq, or None when it could not be numbered or sent (logged: a lost push must never
    break the write that caused it; the browser's next resume finds the gap and reloads).
    """
    if name not in ALL:
        raise ValueError(f"Unknown event {name!r}")
    try:
        return journal.publish(workspace_id, workspace_group(workspace_id), name, payload)
    except Exception:
        log.exception("could not publish %s", name)
        return None


# ---- web chat visitors (the widget's socket; never the agents' groups) ------------------------------

VISITOR_MESSAGE = "visitor.message"


def visitor_group(channel_id: int, contact_id: int) -> str:
    """The one group a web chat visitor's socket joins: derived from server-side ids only."""
    return f"visitor.{int(channel_id)}.{int(contact_id)}"


def publish_to_visitor(channel_id: int, contact_id: int, payload: dict) -> None:
    """Push one rendered message to a visitor now. Raises when the channel layer fails (callers retry)."""
    sender.group_send(
        visitor_group(channel_id, contact_id), {"type": "visitor.message", "event": VISITOR_MESSAGE, "payload": payload}
    )
