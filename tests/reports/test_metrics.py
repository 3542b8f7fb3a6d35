"""The reports' numbers against a known fixture: every count and median computed by the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from inbox.models import Conversation
from reports import metrics
from reports.metrics import Period, build_report
from surveys.models import SurveyResponse
from surveys.services import survey_answer, survey_send
from tests import factories as f
from tests.reports.helpers import closed_conversation
from tests.surveys.helpers import key, make_survey

PERIOD = Period(date(2026, 3, 1), date(2026, 3, 7))


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def fixture(demo, other, settings):
    settings.TIME_ZONE = "UTC"
    billing, delivery = f.make_category(demo.workspace, "Billing"), f.make_category(demo.workspace, "Delivery")
    a = closed_conversation(demo, name="A", opened_at=at(2, 10), answered_after=timedelta(minutes=5),
                            closed_at=at(2, 12), category=billing, closer=demo.agent)
    closed_conversation(demo, name="B", opened_at=at(2, 11), answered_after=timedelta(minutes=15),
                        closed_at=at(4, 11), category=delivery, closer=demo.agent2)
    closed_conversation(demo, name="C", opened_at=at(5, 9), answered_after=timedelta(minutes=1),
                        closed_at=at(5, 10), category=billing, closer=demo.agent)
    waiting = f.make_conversation(demo.workspace)  # opened in the period, never answered, still open
    Conversation.objects.filter(pk=waiting.pk).update(opened_at=at(6, 8))
    closed_conversation(demo, name="E", opened_at=at(27, 10, month=2), answered_after=timedelta(minutes=10),
                        closed_at=at(3, 10), category=billing, closer=demo.agent)  # opened before the period
    closed_conversation(demo, name="F", opened_at=at(8, 9), closed_at=at(9, 9), category=billing,
                        closer=demo.agent)  # after the period
    closed_conversation(other, name="Other", opened_at=at(2, 9), answered_after=timedelta(minutes=1),
                        closed_at=at(2, 10), closer=other.agent)  # another workspace
    rating_survey = make_survey(demo.workspace, "Rating")
    nps_survey = make_survey(demo.workspace, "NPS", questions=[("nps", "Recommend us?", True, "")])
    for survey, score, day in [(rating_survey, 5, 2), (rating_survey, 4, 3), (rating_survey, 4, 4),
                               (rating_survey, 2, 6), (rating_survey, 1, 10),  # the last one: after the period
                               (nps_survey, 10, 2), (nps_survey, 9, 3), (nps_survey, 9, 3), (nps_survey, 7, 4),
                               (nps_survey, 3, 5)]:
        invitation = survey_send(workspace=demo.workspace, conversation_id=a.pk, survey_id=survey.pk,
                                 actor=demo.agent)
        response = survey_answer(token=invitation.token, data={key(survey, 0): [str(score)]})
        SurveyResponse.objects.filter(pk=response.pk).update(submitted_at=at(day, 15))
    return demo


def test_counts_per_day_category_and_agent(fixture):
    report = build_report(workspace=fixture.workspace, period=PERIOD)
    assert report.opened_per_day == {date(2026, 3, 2): 2, date(2026, 3, 5): 1, date(2026, 3, 6): 1}
    assert report.closed_per_day == {date(2026, 3, 2): 1, date(2026, 3, 3): 1, date(2026, 3, 4): 1,
                                     date(2026, 3, 5): 1}
    assert (report.opened_total, report.closed_total) == (4, 4)
    assert report.closed_by_category == [("Billing", 3), ("Delivery", 1)]
    assert report.closed_per_agent == [("Demo Agent", 3), ("Demo Agent Two", 1)]


def test_medians_of_first_response_and_resolution(fixture):
    report = build_report(workspace=fixture.workspace, period=PERIOD)
    assert report.median_first_response == timedelta(minutes=5)  # 1, 5, 15 min (E opened before, D unanswered)
    assert report.median_resolution == timedelta(hours=25)  # 1 h, 2 h, 48 h, 96 h


def test_the_portable_median_agrees_with_percentile_cont(fixture, monkeypatch):
    monkeypatch.setattr(metrics, "connection", SimpleNamespace(vendor="sqlite"))
    report = build_report(workspace=fixture.workspace, period=PERIOD)
    assert report.median_first_response == timedelta(minutes=5)
    assert report.median_resolution == timedelta(hours=25)


def test_ratings_and_nps(fixture):
    report = build_report(workspace=fixture.workspace, period=PERIOD)
    assert report.ratings == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
    assert report.rating_average == pytest.approx(3.75)
    assert report.nps == {"promoters": 3, "passives": 1, "detractors": 1, "total": 5}
    assert report.nps_score == 40


def test_an_empty_period_has_no_medians_and_no_scores(demo):
    report = build_report(workspace=demo.workspace, period=PERIOD)
    assert (report.median_first_response, report.median_resolution, report.rating_average, report.nps_score) == (
        None, None, None, None)
    assert report.closed_by_category == [] and report.ratings == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}


def test_the_report_costs_a_fixed_number_of_queries(fixture, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):  # 8 reads, SET LOCAL jit, and the savepoint inside the test's transaction
        build_report(workspace=fixture.workspace, period=PERIOD)
