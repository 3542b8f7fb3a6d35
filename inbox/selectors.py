"""Inbox reads. Every list is evaluated here (templates never query) with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from realtime import presence
from workspaces.models import Membership, User, Workspace

from .models import Attachment, ClosingCategory, Conversation, ConversationEvent, Message

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


def _log_qs(workspace: Workspace):
    return (
        ConversationEvent.objects.for_workspace(workspace)
        .select_related("actor__user", "assignee__user", "closing_note__category")
    )


def conversation_history(*, workspace: Workspace, conversation: Conversation,
                         limit: int = HISTORY_PAGE) -> list[Message | ConversationEvent]:
    """The latest messages and, between them by time, the conversation's event lines (three queries).

    Only the event lines from the oldest message shown on are included when the history is cut; an event
    and a message at the same instant show the event first ("Assigned to … (on reply)", then the reply).
    """
    messages = conversation_messages(workspace=workspace, conversation=conversation, limit=limit)
    log = _log_qs(workspace).filter(conversation=conversation)
    if len(messages) >= limit:
        log = log.filter(created_at__gte=messages[0].created_at)
    entries = list(reversed(log.order_by("-created_at", "-id")[:limit]))
    items: list[Message | ConversationEvent] = [*entries, *messages]
    items.sort(key=lambda item: (item.created_at, isinstance(item, Message), item.pk))
    return items


def log_entry_for(*, workspace: Workspace, log_id: int) -> ConversationEvent | None:
    return _log_qs(workspace).filter(pk=log_id).first()


def message_for(*, workspace: Workspace, message_id: int) -> Message:
    return get_object_or_404(_messages_qs(workspace), pk=message_id)


def closing_categories(*, workspace: Workspace) -> list[ClosingCategory]:
    return list(ClosingCategory.objects.for_workspace(workspace).filter(is_active=True))


@dataclass(frozen=True)
class MemberChoice:
    """A member as the Assign control lists it: with their presence (online | away | offline) and open count."""

    pk: int
    display_name: str
    presence: str = presence.OFFLINE
    open_count: int = 0

    @property
    def presence_label(self) -> str:
        return str(PRESENCE_LABELS.get(self.presence, ""))


PRESENCE_LABELS = {presence.ONLINE: _("online"), presence.AWAY: _("away"), presence.OFFLINE: _("offline")}


def header_choices(*, workspace: Workspace) -> tuple[list[MemberChoice], list[ClosingCategory]]:
    """The Assign control's members (by display name, with presence and open count) and the closing form's
    active categories.

    ONE query (UNION ALL of two small lists), so the conversation page keeps its query budget with the
    history's event lines.
    """
    columns = ("row", "pk", "a", "b", "c", "d", "pos", "flag")
    open_of_member = (
        Conversation.objects.filter(workspace_id=workspace.pk, status=Conversation.Status.OPEN,
                                    assignee_id=OuterRef("pk"))
        .order_by().values("assignee_id").annotate(n=Count("id")).values("n")
    )
    members = (
        Membership.objects.for_workspace(workspace)
        .annotate(row=Value("m"), a=F("user__display_name"), b=F("user__first_name"), c=F("user__last_name"),
                  d=F("user__email"), pos=Coalesce(Subquery(open_of_member), Value(0)), flag=F("away"))
        .order_by().values_list(*columns)
    )
    categories = (
        ClosingCategory.objects.for_workspace(workspace).filter(is_active=True)
        .annotate(row=Value("c"), a=F("name"), b=Value(""), c=Value(""), d=Value(""), pos=F("position"),
                  flag=Value(False))
        .order_by().values_list(*columns)
    )
    rows: list[tuple] = []
    choices: list[ClosingCategory] = []
    for row, pk, a, b, c, d, pos, flag in members.union(categories, all=True):
        if row == "m":  # the same rule as User.name; for members pos is the open count and flag "away"
            rows.append((pk, User(display_name=a, first_name=b, last_name=c, email=d).name, pos, bool(flag)))
        else:
            choices.append(ClosingCategory(pk=pk, workspace_id=workspace.pk, name=a, position=pos))
    states = presence.statuses((pk, away) for pk, _name, _n, away in rows)  # the cache, not the database
    people = [MemberChoice(pk, name, states.get(pk, presence.OFFLINE), n) for pk, name, n, _away in rows]
    people.sort(key=lambda m: m.display_name.lower())
    choices.sort(key=lambda cat: (cat.position, cat.name))
    return people, choices
