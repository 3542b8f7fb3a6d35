"""The review page's reads: closed conversations by close time, filtered, keyset-paginated, and exported.

A page costs a fixed number of queries whatever its size or the table's: one for the filters' choices (a
UNION ALL of categories, members and channels) and one for the rows (contact, channel, note, its category
and author joined; the last assignee read from the conversation log by a correlated subquery). The index
`conv_closed` (workspace, closed_at DESC, id DESC WHERE status = 'closed') serves the order and the seek.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from inbox.models import Channel, ClosingCategory, Conversation, ConversationEvent
from workspaces.models import Membership, User, Workspace

PAGE = 30
EXPORT_CHUNK = 1000


@dataclass(frozen=True)
class Choice:
    pk: int
    name: str


@dataclass
class ReviewChoices:
    """What the filters offer (and the names the rows show): one query."""

    categories: list[Choice] = field(default_factory=list)
    members: list[Choice] = field(default_factory=list)
    channels: list[Choice] = field(default_factory=list)

    def member_name(self, pk: int | None) -> str:
        return next((m.name for m in self.members if m.pk == pk), "") if pk else ""


def review_choices(*, workspace: Workspace) -> ReviewChoices:
    columns = ("row", "pk", "a", "b", "c", "d", "pos")
    members = (
        Membership.objects.for_workspace(workspace)
        .annotate(row=Value("m"), a=F("user__display_name"), b=F("user__first_name"), c=F("user__last_name"),
                  d=F("user__email"), pos=Value(0))
        .order_by().values_list(*columns)
    )
    categories = (
        ClosingCategory.objects.for_workspace(workspace)
        .annotate(row=Value("k"), a=F("name"), b=Value(""), c=Value(""), d=Value(""), pos=F("position"))
        .order_by().values_list(*columns)
    )
    channels = (
        Channel.objects.for_workspace(workspace)
        .annotate(row=Value("h"), a=F("name"), b=Value(""), c=Value(""), d=Value(""), pos=Value(0))
        .order_by().values_list(*columns)
    )
    choices = ReviewChoices()
    positions: dict[int, int] = {}
    for row, pk, a, b, c, d, pos in members.union(categories, channels, all=True):
        if row == "m":  # the same rule as User.name
            choices.members.append(Choice(pk, User(display_name=a, first_name=b, last_name=c, email=d).name))
        elif row == "k":
            choices.categories.append(Choice(pk, a))
            positions[pk] = pos
        else:
            choices.channels.append(Choice(pk, a))
    choices.members.sort(key=lambda m: m.name.lower())
    choices.categories.sort(key=lambda k: (positions[k.pk], k.name.lower()))
    choices.channels.sort(key=lambda h: h.name.lower())
    return choices


@dataclass(frozen=True)
class ReviewFilters:
    date_from: date | None = None
    date_to: date | None = None
    category_id: int | None = None
    closed_by_id: int | None = None
    assignee_id: int | None = None
    channel_id: int | None = None
    q: str = ""


def _last_assignee() -> Subquery:
    """Who had the conversation when it closed (closing unassigns it): the last assignment in its log."""
    return Subquery(
        ConversationEvent.objects.filter(
            conversation_id=OuterRef("pk"),
            kind__in=[ConversationEvent.Kind.ASSIGNED, ConversationEvent.Kind.UNASSIGNED],
        ).order_by("-created_at", "-id").values("assignee_id")[:1]
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def closed_conversations(*, workspace: Workspace, filters: ReviewFilters) -> QuerySet[Conversation]:
    """Closed conversations matching the filters, newest closed first (not evaluated)."""
    qs = (
        Conversation.objects.for_workspace(workspace)
        .filter(status=Conversation.Status.CLOSED, closed_at__isnull=False)
        .annotate(last_assignee_id=_last_assignee())
    )
    if filters.date_from:
        qs = qs.filter(closed_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(closed_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.category_id:
        qs = qs.filter(closing_note__category_id=filters.category_id)
    if filters.closed_by_id:
        qs = qs.filter(closing_note__author_id=filters.closed_by_id)
    if filters.channel_id:
        qs = qs.filter(channel_id=filters.channel_id)
    if filters.assignee_id:
        qs = qs.filter(last_assignee_id=filters.assignee_id)
    if filters.q:
        q = filters.q
        qs = qs.filter(Q(contact__name__icontains=q) | Q(contact__phone__icontains=q) | Q(contact__email__icontains=q)
                       | Q(closing_note__summary__icontains=q))
    return qs.order_by("-closed_at", "-id")


def parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    stamp, _sep, pk = cursor.rpartition("_")
    try:
        when = datetime.fromisoformat(stamp)
        return (when if when.tzinfo else timezone.make_aware(when)), int(pk)
    except ValueError:
        return None


def _after(qs: QuerySet, after: tuple[datetime, int] | None) -> QuerySet:
    if after is None:
        return qs
    stamp, pk = after
    return qs.filter(Q(closed_at__lt=stamp) | Q(closed_at=stamp, id__lt=pk))


@dataclass
class ReviewPage:
    rows: list[Conversation]
    next_cursor: str | None


def review_page(*, workspace: Workspace, filters: ReviewFilters, cursor: str | None = None,
                limit: int = PAGE) -> ReviewPage:
    """One page of the filtered list after the cursor (a seek on closed_at, id): one query."""
    qs = _after(closed_conversations(workspace=workspace, filters=filters), parse_cursor(cursor)).select_related(
        "contact", "channel", "closing_note__category", "closing_note__author__user")
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return ReviewPage(rows=rows, next_cursor=f"{last.closed_at.isoformat()}_{last.pk}" if last else None)


EXPORT_FIELDS = ("pk", "closed_at", "opened_at", "contact__name", "contact__phone", "contact__email", "channel__name",
                 "closing_note__category__name", "closing_note__summary", "closing_note__author_id",
                 "last_assignee_id")


def export_rows(*, workspace: Workspace, filters: ReviewFilters, chunk: int | None = None) -> Iterator[tuple]:
    """Every matching row as a tuple of EXPORT_FIELDS, fetched `chunk` at a time by keyset: memory stays flat
    whatever the count, and no cursor is held open between chunks (a slow download holds no transaction)."""
    chunk = chunk or EXPORT_CHUNK
    base = closed_conversations(workspace=workspace, filters=filters).values_list(*EXPORT_FIELDS)
    after = None
    while True:
        rows = list(_after(base, after)[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        after = (rows[-1][1], rows[-1][0])
