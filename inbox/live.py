"""Payloads for live pushes: rendered once per event from the same partials the pages use."""

from __future__ import annotations

from django.template.loader import render_to_string

from workspaces.models import Workspace

from . import selectors
from .models import Conversation, Message


def message_payload(workspace_id: int, message_id: int, *, workspace: Workspace | None = None,
                    message: Message | None = None) -> dict:
    """`workspace` and a fully loaded `message` may be passed by a caller that has them (no queries)."""
    workspace = workspace or Workspace.objects.get(pk=workspace_id)
    message = message or selectors.message_for(workspace=workspace, message_id=message_id)
    html = render_to_string("inbox/_message.html", {"message": message, "slug": workspace.slug})
    return {"conversation_id": message.conversation_id, "message_id": message.pk, "status": message.status,
            "html": html}


def conversation_payload(workspace_id: int, conversation_id: int, *, workspace: Workspace | None = None,
                         conversation: Conversation | None = None, counts: bool = True) -> dict:
    """`workspace` and a `conversation` with contact, channel and assignee loaded may be passed.

    counts=False when the event cannot change the tab counts (new activity on an open conversation
    that keeps its assignee): the browser keeps the counts it has, and the push costs one query less.
    """
    workspace = workspace or Workspace.objects.get(pk=workspace_id)
    conversation = conversation or (
        Conversation.objects.for_workspace(workspace)
        .select_related("contact", "channel", "assignee__user").get(pk=conversation_id)
    )
    html = render_to_string("inbox/_queue_row.html", {"c": conversation, "slug": workspace.slug})
    return {
        "conversation_id": conversation.pk,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "assignee_name": conversation.assignee.display_name if conversation.assignee else "",
        "unread": conversation.unread_count,
        "activity": conversation.last_activity_at.isoformat(),
        "row_html": html,
        "counts": selectors.open_counts_by_assignee(workspace=workspace) if counts else None,
    }
