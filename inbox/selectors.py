"""Inbox reads. Every list is evaluated here (templates never query) with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from workspaces.models import Membership, Workspace

from .models import Attachment, ClosingCategory, Conversation, Message

TABS = ("mine", "unassigned", "all")
QUEUE_PAGE = 30  # a window: "Load more" (keyset) brings the next one
COUNT_CAP = 1000  # tab counts are capped ("999+") so no request counts a whole table
HISTORY_PAGE = 200


@dataclass
class QueuePage:
    rows: list[Conversation]
    next_cursor: str | None


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        stamp, _sep, pk = cursor.rpartition("_")
        return datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        return None


def _cursor(conversation: Conversation) -> str:
    return f"{conversation.last_activity_at.isoformat()}_{conversation.pk}"


def _keyset_page(qs, cursor: str | None, limit: int) -> QueuePage:
    """One page of conversations ordered by (-last_activity_at, -id), after the cursor (indexed seek)."""
    after = _parse_cursor(cursor)
    if after is not None:
        stamp, pk = after
        qs = qs.filter(Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, id__lt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_cursor=_cursor(rows[-1]) if more and rows else None)


def _tab_filter(tab: str, member: Membership) -> Q:
    if tab == "mine":
        return Q(assignee=member)
    if tab == "unassigned":
        return Q(assignee__isnull=True)
    return Q()


def queue(*, workspace: Workspace, member: Membership, tab: str, cursor: str | None = None,
          limit: int = QUEUE_PAGE) -> QueuePage:
    """Open conversations of a tab, newest activity first, keyset-paginated on (last_activity_at, id)."""
    qs = (
        Conversation.objects.for_workspace(workspace).open().filter(_tab_filter(tab, member))
        .select_related("contact", "channel", "assignee__user")
        .order_by("-last_activity_at", "-id")
    )
    return _keyset_page(qs, cursor, limit)


def queue_counts(*, workspace: Workspace, member: Membership) -> dict[str, int]:
    """Mine / Unassigned / All counts in one query, each capped at COUNT_CAP."""
    sample = Conversation.objects.for_workspace(workspace).open().values("assignee_id")[:COUNT_CAP]
    return sample.aggregate(
        mine=Count("pk", filter=Q(assignee_id=member.pk)),
        unassigned=Count("pk", filter=Q(assignee_id__isnull=True)),
        all=Count("pk"),
    )


def open_counts_by_assignee(*, workspace: Workspace) -> dict:
    """For live pushes: open conversations per assignee ("" = unassigned), capped like the tabs.

    Counts come from the newest COUNT_CAP open conversations, so one push costs the same on a
    workspace with 100 or 100,000 open conversations; the tabs show "999+" past the cap.
    """
    newest = (
        Conversation.objects.for_workspace(workspace).open().order_by("-last_activity_at", "-id")
        .values("id")[:COUNT_CAP]
    )
    rows = (
        Conversation.objects.filter(id__in=newest).order_by().values("assignee_id").annotate(n=Count("id"))
    )
    by = {str(r["assignee_id"] or ""): r["n"] for r in rows}
    return {"all": sum(by.values()), "unassigned": by.get("", 0), "by_assignee": by}


def conversation_for(*, workspace: Workspace, conversation_id: int) -> Conversation:
    """The conversation with its contact, channel, assignee and closing note, or 404."""
    return get_object_or_404(
        Conversation.objects.for_workspace(workspace).select_related(
            "contact", "channel", "assignee__user", "closing_note__category", "closing_note__author__user"
        ),
        pk=conversation_id,
    )


def _messages_qs(workspace: Workspace):
    return (
        Message.objects.for_workspace(workspace).select_related("sender__user")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def conversation_messages(*, workspace: Workspace, conversation: Conversation, after_id: int | None = None,
                          limit: int = HISTORY_PAGE) -> list[Message]:
    """The latest `limit` messages, oldest first; with after_id only newer ones (resync after a drop)."""
    qs = _messages_qs(workspace).filter(conversation=conversation)
    if after_id is not None:
        return list(qs.filter(id__gt=after_id).order_by("id")[:limit])
    return list(reversed(qs.order_by("-id")[:limit]))


def message_for(*, workspace: Workspace, message_id: int) -> Message:
    return get_object_or_404(_messages_qs(workspace), pk=message_id)


def closing_categories(*, workspace: Workspace) -> list[ClosingCategory]:
    return list(ClosingCategory.objects.for_workspace(workspace).filter(is_active=True))


def closed_conversations(*, workspace: Workspace, cursor: str | None = None, limit: int = QUEUE_PAGE) -> QueuePage:
    """Closed conversations with their notes, newest closed first (the supervisors' review page)."""
    qs = (
        Conversation.objects.for_workspace(workspace).filter(status=Conversation.Status.CLOSED)
        .select_related("contact", "channel", "closing_note__category", "closing_note__author__user")
        .order_by("-last_activity_at", "-id")
    )
    return _keyset_page(qs, cursor, limit)
