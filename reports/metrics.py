"""The reports' numbers for a period, each computed by the database (GROUP BY, COUNT, PERCENTILE_CONT).

Conversations opened per day come from Conversation.opened_at; closings (per day, by category, per agent)
from the conversation log, so a conversation closed, reopened and closed again counts each closing.
First response: from opening to the first message a member or the bot sent the contact (notes and event
lines are not answers). Resolution: from opening to closing, for conversations closed in the period.
Medians use PERCENTILE_CONT(0.5) on PostgreSQL; elsewhere (SQLite, the embedded mode) the middle rows of
the sorted values, still read by the database (a count and one or two rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent, Message
from surveys.models import Answer, Question
from workspaces.models import User, Workspace

MAX_DAYS = 366


class Median(Aggregate):
    """PostgreSQL's continuous median (of numbers or intervals)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tzinfo=tz),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz))


def default_period(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - timedelta(days=29), today)


def median(qs: QuerySet, name: str) -> timedelta | None:
    """The median of the annotation `name` over qs (rows where it is NULL left out), computed by the database."""
    if connection.vendor == "postgresql":  # PERCENTILE_CONT skips NULLs itself: the annotation is computed once
        return qs.aggregate(m=Median(name, output_field=DurationField()))["m"]
    qs = qs.filter(**{f"{name}__isnull": False})
    n = qs.count()
    if not n:
        return None
    middle = list(qs.order_by(name).values_list(name, flat=True)[(n - 1) // 2: n // 2 + 1])
    return sum(middle, timedelta()) / len(middle)


@dataclass
class Report:
    period: Period
    opened_per_day: dict[date, int] = field(default_factory=dict)
    closed_per_day: dict[date, int] = field(default_factory=dict)
    closed_by_category: list[tuple[str, int]] = field(default_factory=list)
    closed_per_agent: list[tuple[str, int]] = field(default_factory=list)
    median_first_response: timedelta | None = None
    median_resolution: timedelta | None = None
    ratings: dict[int, int] = field(default_factory=dict)  # 1..5 → count
    nps: dict[str, int] = field(default_factory=dict)  # promoters, passives, detractors, total

    @property
    def opened_total(self) -> int:
        return sum(self.opened_per_day.values())

    @property
    def closed_total(self) -> int:
        return sum(self.closed_per_day.values())

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        count = self.rating_count
        return sum(k * v for k, v in self.ratings.items()) / count if count else None

    @property
    def nps_score(self) -> int | None:
        total = self.nps.get("total", 0)
        if not total:
            return None
        return round(100 * (self.nps["promoters"] - self.nps["detractors"]) / total)


def _per_day(qs: QuerySet, stamp: str) -> dict[date, int]:
    rows = (qs.annotate(day=TruncDate(stamp, tzinfo=timezone.get_current_timezone())).order_by()
            .values("day").annotate(n=Count("id")).values_list("day", "n"))
    return dict(rows)


def _closings(workspace: Workspace, period: Period) -> QuerySet[ConversationEvent]:
    start, end = period.bounds()
    return ConversationEvent.objects.for_workspace(workspace).filter(
        kind=ConversationEvent.Kind.CLOSED, created_at__gte=start, created_at__lt=end)


def first_response_times(workspace: Workspace, period: Period) -> QuerySet[Conversation]:
    """Conversations opened in the period, annotated with `wait` (opening → first answer; NULL: unanswered)."""
    start, end = period.bounds()
    first_answer = (
        Message.objects.filter(conversation_id=OuterRef("pk"), direction=Message.Direction.OUT,
                               sender_type__in=[Message.Sender.MEMBER, Message.Sender.BOT])
        .exclude(kind__in=[Message.Kind.NOTE, Message.Kind.EVENT]).order_by("id").values("created_at")[:1]
    )
    return (
        Conversation.objects.for_workspace(workspace).filter(opened_at__gte=start, opened_at__lt=end)
        .annotate(wait=ExpressionWrapper(Subquery(first_answer) - F("opened_at"), output_field=DurationField()))
    )


def resolution_times(workspace: Workspace, period: Period) -> QuerySet[Conversation]:
    start, end = period.bounds()
    return (
        Conversation.objects.for_workspace(workspace)
        .filter(status=Conversation.Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .annotate(took=ExpressionWrapper(F("closed_at") - F("opened_at"), output_field=DurationField()))
    )


def _per_agent(workspace: Workspace, period: Period) -> list[tuple[str, int]]:
    rows = (_closings(workspace, period).filter(actor__isnull=False).order_by()
            .values("actor_id", "actor__user__display_name", "actor__user__first_name", "actor__user__last_name",
                    "actor__user__email").annotate(n=Count("id")))
    named = [(User(display_name=r["actor__user__display_name"], first_name=r["actor__user__first_name"],
                   last_name=r["actor__user__last_name"], email=r["actor__user__email"]).name, r["n"]) for r in rows]
    return sorted(named, key=lambda item: (-item[1], item[0].lower()))


def _answers(workspace: Workspace, period: Period, kind: str) -> QuerySet[Answer]:
    start, end = period.bounds()
    return Answer.objects.for_workspace(workspace).filter(
        kind=kind, number__isnull=False, response__submitted_at__gte=start, response__submitted_at__lt=end)


def build_report(*, workspace: Workspace, period: Period, no_category: str = "—") -> Report:
    """Every number of the reports page for the period: about ten queries whatever the data's size."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Many small index lookups: compiling them (JIT) took 200 of 290 ms on 100k conversations.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _build(workspace, period, no_category)


def _build(workspace: Workspace, period: Period, no_category: str) -> Report:
    start, end = period.bounds()
    report = Report(period=period)
    report.opened_per_day = _per_day(
        Conversation.objects.for_workspace(workspace).filter(opened_at__gte=start, opened_at__lt=end), "opened_at")
    report.closed_per_day = _per_day(_closings(workspace, period), "created_at")
    categories = (_closings(workspace, period).order_by().values("closing_note__category__name")
                  .annotate(n=Count("id")).values_list("closing_note__category__name", "n"))
    report.closed_by_category = sorted(((name or no_category, n) for name, n in categories),
                                       key=lambda item: (-item[1], item[0].lower()))
    report.closed_per_agent = _per_agent(workspace, period)
    report.median_first_response = median(first_response_times(workspace, period), "wait")
    report.median_resolution = median(resolution_times(workspace, period), "took")
    ratings = dict(_answers(workspace, period, Question.Kind.RATING).order_by().values("number")
                   .annotate(n=Count("id")).values_list("number", "n"))
    report.ratings = {score: ratings.get(score, 0) for score in range(1, 6)}
    report.nps = _answers(workspace, period, Question.Kind.NPS).aggregate(
        promoters=Count("id", filter=Q(number__gte=9)), passives=Count("id", filter=Q(number__in=[7, 8])),
        detractors=Count("id", filter=Q(number__lte=6)), total=Count("id"))
    return report
