"""Payloads for live pushes: rendered once per event from the same partials the pages use.

The live-push listeners (inbox/listeners.py) build them after commit from the event's ids. A service
that has just written the rows a push shows may hand them over with `remember(event, ...)` so the hot
path (an inbound message) renders without reading them back; the event itself stays ids-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.template.loader import render_to_string

from contacts.models import Contact
from realtime import journal
from workspaces.models import Membership, Workspace

from . import selectors
from .models import Conversation, Message

# ---- objects a service hands to its own event's listener (same thread: on_commit runs where it commits) ----

_HINTS_KEPT = 64  # hints of events whose transaction rolled back are never taken: the oldest are dropped
_local = threading.local()


def _hints() -> OrderedDict:
    hints = getattr(_local, "hints", None)
    if hints is None:
        hints = _local.hints = OrderedDict()
    return hints


def remember(event: object, **objects: object) -> None:
    """Keep rows the service just wrote for the listeners of `event` (taken at most once, this thread only)."""
    hints = _hints()
    hints[event] = objects
    while len(hints) > _HINTS_KEPT:
        hints.popitem(last=False)


def recall(event: object) -> dict:
    """The objects remembered for `event`, or {} (then the listener loads what it needs by id)."""
    return _hints().pop(event, {})


def current_seq(workspace: Workspace) -> int:
    """The workspace's last live seq: a page reads it before its queries and renders it (data-seq)."""
    return journal.current(workspace.pk)


# ---- payloads ------------------------------------------------------------------------------------------


def workspace_of(workspace_id: int, hints: dict | None = None) -> Workspace:
    workspace = (hints or {}).get("workspace")
    return workspace if workspace is not None else Workspace.objects.get(pk=workspace_id)


def message_payload(workspace: Workspace, message_id: int, *, message: Message | None = None) -> dict:
    """`message` may be passed fully loaded (sender's user, attachments prefetched): no queries then."""
    message = message or selectors.message_for(workspace=workspace, message_id=message_id)
    html = render_to_string("inbox/_message.html", {"message": message, "slug": workspace.slug})
    return {"conversation_id": message.conversation_id, "message_id": message.pk, "status": message.status,
            "html": html}


def load_conversation(workspace: Workspace, conversation_id: int) -> Conversation | None:
    return (
        Conversation.objects.for_workspace(workspace).select_related("contact", "channel", "assignee__user")
        .filter(pk=conversation_id).first()
    )


def with_relations(conversation: Conversation) -> Conversation:
    """Load what a queue row shows (contact, assignee's name) on a row just written, one query each at most."""
    if not Conversation.contact.is_cached(conversation):
        conversation.contact = Contact.objects.get(pk=conversation.contact_id)
    if conversation.assignee_id and not Conversation.assignee.is_cached(conversation):
        conversation.assignee = Membership.objects.select_related("user").get(pk=conversation.assignee_id)
    return conversation


def conversation_payload(workspace: Workspace, conversation: Conversation, *, counts: bool = True) -> dict:
    """`conversation` with contact, channel and assignee loaded (load_conversation).

    counts=False when the event cannot change the tab counts (new activity on an open conversation
    that keeps its assignee): the browser keeps the counts it has, and the push costs one query less.
    """
    html = render_to_string("inbox/_queue_row.html", {"c": conversation, "slug": workspace.slug})
    return {
        "conversation_id": conversation.pk,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "assignee_name": conversation.assignee.display_name if conversation.assignee else "",
        "contact_name": conversation.contact.display_name,
        "unread": conversation.unread_count,
        "activity": conversation.last_activity_at.isoformat(),
        "row_html": html,
        "counts": selectors.open_counts_by_assignee(workspace=workspace) if counts else None,
    }


def log_entry_html(workspace: Workspace, log_id: int | None) -> str:
    """The history's line for one ConversationEvent row ("" when there is none)."""
    if log_id is None:
        return ""
    entry = selectors.log_entry_for(workspace=workspace, log_id=log_id)
    if entry is None:
        return ""
    return render_to_string("inbox/_event.html", {"event": entry, "slug": workspace.slug})

