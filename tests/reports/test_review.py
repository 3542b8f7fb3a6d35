"""The Review page: who sees it, its filters, close-time order and keyset pages in a fixed number of queries,
one conversation read-only with its log and survey answers, reopening, and the streamed CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent
from inbox.services.closing import conversation_close
from reports import review_selectors
from surveys.services import survey_answer, survey_send
from tests import factories as f
from tests.reports.helpers import closed_conversation
from tests.surveys.helpers import key, make_survey

HOSTILE = "<img src=x onerror=alert(1)>"
REVIEW = "/w/demo/review/"


def names(html: str, candidates) -> list[str]:
    """The candidate contact names in the order they appear on the page."""
    found = [(html.find(f">{n}</a>"), n) for n in candidates if f">{n}</a>" in html]
    return [n for _pos, n in sorted(found)]


@pytest.fixture
def closed(demo):
    now = timezone.now()
    web = f.make_channel(demo.workspace, "webchat", name="Website chat")
    billing, delivery = f.make_category(demo.workspace, "Billing"), f.make_category(demo.workspace, "Delivery")
    rows = {
        "Ana": closed_conversation(demo, name="Ana", closed_at=now - timedelta(days=1), category=billing,
                                   closer=demo.agent, assignee=demo.agent, summary="Refunded the invoice",
                                   phone="+34600000001"),
        "Bruno": closed_conversation(demo, name="Bruno", closed_at=now - timedelta(days=3), category=delivery,
                                     closer=demo.agent2, assignee=demo.agent2, channel=web, email="bruno@example.com"),
        "Carla": closed_conversation(demo, name="Carla", closed_at=now - timedelta(days=10), category=billing,
                                     closer=demo.supervisor, assignee=demo.agent, summary="Address changed"),
    }
    return rows


# ---- who sees it ---------------------------------------------------------------------------------------


def test_supervisors_and_admins_see_review_agents_get_403(demo, client_for, closed):
    assert client_for(demo.agent).get(REVIEW).status_code == 403
    assert client_for(demo.agent).get(f"{REVIEW}export.csv").status_code == 403
    assert client_for(demo.agent).get(f"{REVIEW}{closed['Ana'].pk}/").status_code == 403
    for member in (demo.supervisor, demo.admin):
        response = client_for(member).get(REVIEW)
        assert response.status_code == 200 and "Ana" in response.content.decode()


def test_agents_see_review_where_the_workspace_allows_it_but_never_reopen(demo, client_for, closed):
    demo.workspace.settings = {"agents_can_review": True}
    demo.workspace.save()
    client = client_for(demo.agent)
    page = client.get(REVIEW)
    assert page.status_code == 200 and 'href="/w/demo/review/"' in page.content.decode()  # the nav link too
    detail = client.get(f"{REVIEW}{closed['Ana'].pk}/").content.decode()
    assert "Reopen conversation" not in detail
    assert client.post(f"{REVIEW}{closed['Ana'].pk}/reopen/").status_code == 403
    assert Conversation.objects.get(pk=closed["Ana"].pk).status == "closed"


def test_a_conversation_closed_in_the_inbox_shows_in_review_with_its_note(demo, client_for):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                       category=f.make_category(demo.workspace, "Complaint"), summary="Late parcel", actor=demo.agent)
    html = client_for(demo.supervisor).get(REVIEW).content.decode()
    assert "Late parcel" in html and "Complaint" in html and f'href="/w/demo/review/{conversation.pk}/"' in html


def test_a_non_member_gets_404_and_a_visitor_the_login_page(demo, other, client_for, client):
    assert client.get(REVIEW).status_code == 302
    assert client_for(other.admin).get(REVIEW).status_code == 404


# ---- the list ----------------------------------------------------------------------------------------------


def test_rows_are_sorted_by_close_time_with_note_closer_and_assignee(demo, client_for, closed):
    html = client_for(demo.supervisor).get(REVIEW).content.decode()
    assert names(html, ["Ana", "Bruno", "Carla"]) == ["Ana", "Bruno", "Carla"]
    assert "Refunded the invoice" in html and "Demo Agent Two" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("category={billing}", ["Ana", "Carla"]),
    ("closed_by={agent2}", ["Bruno"]),
    ("assignee={agent}", ["Ana", "Carla"]),
    ("channel={web}", ["Bruno"]),
    ("q=refunded", ["Ana"]),  # the closing summary
    ("q=BRUNO%40example", ["Bruno"]),  # the contact's email, any case
    ("q=600000001", ["Ana"]),  # the contact's phone
    ("q=carl", ["Carla"]),  # the contact's name
    ("date_from={five_days_ago}", ["Ana", "Bruno"]),
    ("date_to={two_days_ago}", ["Bruno", "Carla"]),
    ("date_from={five_days_ago}&date_to={two_days_ago}&category={delivery}", ["Bruno"]),
])
def test_each_filter_narrows_the_list(demo, client_for, closed, query, expected):
    today = timezone.localdate()
    billing = closed["Ana"].closing_note.category
    values = {"billing": billing.pk, "delivery": closed["Bruno"].closing_note.category_id, "agent": demo.agent.pk,
              "agent2": demo.agent2.pk, "web": closed["Bruno"].channel_id,
              "five_days_ago": (today - timedelta(days=5)).isoformat(),
              "two_days_ago": (today - timedelta(days=2)).isoformat()}
    response = client_for(demo.supervisor).get(f"{REVIEW}?{query.format(**values)}")
    assert response.status_code == 200
    assert names(response.content.decode(), ["Ana", "Bruno", "Carla"]) == expected


def test_another_workspaces_ids_in_the_filters_are_refused(demo, other, client_for, closed):
    their_category = f.make_category(other.workspace, "Theirs")
    closed_conversation(other, name="Zoe", closed_at=timezone.now(), category=their_category)
    for query in (f"category={their_category.pk}", f"closed_by={other.agent.pk}", f"assignee={other.agent.pk}",
                  f"channel={f.make_channel(other.workspace).pk}"):
        response = client_for(demo.supervisor).get(f"{REVIEW}?{query}")
        html = response.content.decode()
        assert response.status_code == 400 and "Select a valid choice" in html and "Zoe" not in html


def test_invalid_dates_are_shown_as_errors(demo, client_for, closed):
    response = client_for(demo.supervisor).get(f"{REVIEW}?date_from=2026-02-10&date_to=2026-02-01")
    assert response.status_code == 400 and "The end date is before the start date." in response.content.decode()


def test_hostile_contact_names_and_summaries_are_escaped(demo, client_for):
    closed_conversation(demo, name=HOSTILE, closed_at=timezone.now(), summary=HOSTILE)
    html = client_for(demo.supervisor).get(REVIEW).content.decode()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def _many_closed(team, n: int, start=None):
    start = start or timezone.now()
    category = f.make_category(team.workspace)
    channel = f.make_channel(team.workspace)
    return [closed_conversation(team, name=f"Contact {i:03d}", closed_at=start - timedelta(minutes=i),
                                category=category, channel=channel, assignee=team.agent, closer=team.agent)
            for i in range(n)]


def test_older_pages_follow_by_keyset_without_repeats_or_gaps(demo):
    rows = _many_closed(demo, 7)
    same = timezone.now() - timedelta(days=1)  # ties on the close time are ordered by id
    Conversation.objects.filter(pk__in=[rows[2].pk, rows[3].pk]).update(closed_at=same)
    seen, cursor = [], None
    while True:
        page = review_selectors.review_page(workspace=demo.workspace, filters=review_selectors.ReviewFilters(),
                                            cursor=cursor, limit=3)
        seen += [c.pk for c in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = list(Conversation.objects.filter(workspace=demo.workspace).order_by("-closed_at", "-id")
                    .values_list("pk", flat=True))
    assert seen == expected and len(seen) == 7


def test_the_page_has_an_older_link_that_keeps_the_filters(demo, client_for):
    _many_closed(demo, 31)
    html = client_for(demo.supervisor).get(f"{REVIEW}?q=Contact").content.decode()
    assert "Contact 029" in html and "Contact 030" not in html
    assert "?q=Contact&amp;after=" in html


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_costs_the_same_few_queries_whatever_its_size(demo, client_for, django_assert_max_num_queries, n):
    _many_closed(demo, n)
    client = client_for(demo.supervisor)
    client.get(REVIEW)  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(f"{REVIEW}?q=Contact&assignee={demo.agent.pk}")
    assert response.status_code == 200 and response.content.decode().count("Contact 0") == n


# ---- one conversation ------------------------------------------------------------------------------------


def test_a_closed_conversation_reads_with_its_note_assignments_and_survey_answers(demo, client_for, closed):
    conversation = closed["Ana"]
    survey = make_survey(demo.workspace)
    invitation = survey_send(workspace=demo.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                             actor=demo.agent)
    survey_answer(token=invitation.token, data={key(survey, 0): ["2"], key(survey, 1): [HOSTILE]})
    client = client_for(demo.supervisor)
    client.get(REVIEW)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{REVIEW}{conversation.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and len(queries.captured_queries) <= 8
    assert 'role="log"' in html and "Hola" in html  # the transcript
    assert "Refunded the invoice" in html and "Billing" in html  # the closing note
    assert "Assignment history" in html and "Assigned to Demo Agent" in html
    assert "How satisfied are you?" in html and HOSTILE not in html
    assert "Reopen conversation" in html
    assert "<textarea" not in html  # read-only: no composer


def test_another_workspaces_conversation_is_404(demo, other, client_for):
    theirs = closed_conversation(other, name="Zoe", closed_at=timezone.now())
    client = client_for(demo.supervisor)
    assert client.get(f"{REVIEW}{theirs.pk}/").status_code == 404
    assert client.post(f"{REVIEW}{theirs.pk}/reopen/").status_code == 404
    assert Conversation.objects.get(pk=theirs.pk).status == "closed"


def test_a_supervisor_reopens_a_closed_conversation(demo, client_for, closed, django_capture_on_commit_callbacks):
    conversation = closed["Ana"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(demo.supervisor).post(f"{REVIEW}{conversation.pk}/reopen/")
    assert response.status_code == 302 and response["Location"] == f"/w/demo/messages/{conversation.pk}/"
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee, conversation.closed_at) == ("open", None, None)
    entry = ConversationEvent.objects.filter(conversation=conversation).order_by("-id").first()
    assert (entry.kind, entry.actor) == ("reopened", demo.supervisor)
    assert conversation.closing_note.summary == "Refunded the invoice"  # kept until it closes again


def test_reopening_is_refused_while_the_contact_has_another_open_conversation(demo, client_for, closed):
    conversation = closed["Ana"]
    f.make_conversation(demo.workspace, channel=conversation.channel, contact=conversation.contact)
    client = client_for(demo.supervisor)
    response = client.post(f"{REVIEW}{conversation.pk}/reopen/", follow=True)
    assert "already has an open conversation" in response.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).status == "closed"


# ---- the export --------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_export_has_the_filtered_rows_newest_closed_first(demo, client_for, closed):
    response = client_for(demo.supervisor).get(f"{REVIEW}export.csv?category={closed['Ana'].closing_note.category_id}")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="review-demo-')
    header, *rows = _csv(response)
    assert header[:4] == ["Conversation", "Closed at", "Opened at", "Contact"]
    assert [r[3] for r in rows] == ["Ana", "Carla"]
    ana = rows[0]
    assert ana[4] == "+34600000001" and ana[7] == "Billing" and ana[8] == "Refunded the invoice"
    assert ana[9] == "Demo Agent" and ana[10] == "Demo Agent"


def test_the_export_never_writes_a_formula(demo, client_for):
    closed_conversation(demo, name='=HYPERLINK("http://evil.test","x")', closed_at=timezone.now(), summary="@SUM(A1)")
    _header, row = _csv(client_for(demo.supervisor).get(f"{REVIEW}export.csv"))
    assert row[3].startswith("'=HYPERLINK") and row[8] == "'@SUM(A1)"


def test_the_export_streams_chunk_by_chunk(demo, client_for, monkeypatch):
    monkeypatch.setattr(review_selectors, "EXPORT_CHUNK", 4)
    _many_closed(demo, 10)
    client = client_for(demo.supervisor)
    client.get(REVIEW)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{REVIEW}export.csv")
        assert isinstance(response, StreamingHttpResponse)
        before_reading = len(queries.captured_queries)
        chunks = iter(response.streaming_content)
        header = next(chunks)
        first = next(chunks)
        after_first = len(queries.captured_queries)
        rest = list(chunks)
    assert header.decode("utf-8-sig").startswith("Conversation,")
    assert first.decode().count("\n") == 4 and len(rest) == 2  # 4 + 4 + 2 rows
    assert after_first == before_reading + 1  # one chunk read so far, not the whole list
    assert len(queries.captured_queries) == before_reading + 3


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_export_streams_through_asgi_too(demo, async_client, monkeypatch):
    from asgiref.sync import sync_to_async

    monkeypatch.setattr(review_selectors, "EXPORT_CHUNK", 3)
    await sync_to_async(_many_closed)(demo, 7)
    await async_client.aforce_login(demo.supervisor.user)
    try:
        response = await async_client.get(f"{REVIEW}export.csv")
        assert response.status_code == 200 and response.is_async
        chunks = [chunk async for chunk in response.streaming_content]
    finally:  # the test client keeps connections past the response (a server closes them): close them here
        await sync_to_async(connections.close_all)()
    assert len(chunks) == 4  # the header, then 3 + 3 + 1 rows
    text = b"".join(chunks).decode("utf-8-sig")
    assert text.count("Contact 0") == 7


def test_an_admin_lets_agents_see_review_from_the_workspace_admin(demo, client_for, closed):
    from django.urls import reverse

    url = reverse("admin:workspaces_workspace_change", args=[demo.workspace.pk])
    form = client_for(demo.admin).get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name in form.fields and not isinstance(value, bool)}
    response = client_for(demo.admin).post(url, {**data, "name": "Demo", "slug": "demo", "agents_can_review": "on"})
    assert response.status_code == 302
    demo.workspace.refresh_from_db()
    assert demo.workspace.settings["agents_can_review"] is True
    assert client_for(demo.agent).get(REVIEW).status_code == 200


def test_a_closed_conversations_page_offers_reopen_to_supervisors_only(demo, client_for, closed):
    conversation = closed["Ana"]
    page = f"/w/demo/messages/{conversation.pk}/"
    assert "Reopen conversation" not in client_for(demo.agent).get(page).content.decode()
    html = client_for(demo.supervisor).get(page).content.decode()
    assert f'action="/w/demo/review/{conversation.pk}/reopen/"' in html and "Reopen conversation" in html
    f.make_conversation(demo.workspace, channel=conversation.channel, contact=conversation.contact)
    response = client_for(demo.supervisor).post(f"{REVIEW}{conversation.pk}/reopen/", {"back": "conversation"})
    assert response["Location"] == page  # refused (another open one): back where the button was
