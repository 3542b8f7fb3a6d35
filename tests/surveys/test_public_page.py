"""The contacts' survey page /s/<token>/: no login, labelled controls, errors that keep what was typed, the
thank-you text, and a clear page (nothing stored) for a second submission, an expired or unknown link."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import survey_send
from tests import factories as f
from tests.surveys.helpers import ALL_KINDS, key, make_survey

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def visitor(client):
    """An anonymous browser with an address of its own (the page is throttled per address, in a cache that
    outlives a test run: a fresh random address every time)."""
    client.defaults["REMOTE_ADDR"] = "10." + ".".join(str(b) for b in secrets.token_bytes(3))
    return client


def invite(team, survey):
    conversation = f.make_conversation(team.workspace)
    return survey_send(workspace=team.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                       actor=team.agent)


def url(invitation) -> str:
    return f"/s/{invitation.token}/"


def test_the_page_needs_no_login_and_has_one_labelled_control_per_question(demo, visitor):
    survey = make_survey(demo.workspace, questions=ALL_KINDS, intro="Two minutes, promise.")
    invitation = invite(demo, survey)
    response = visitor.get(url(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How did we do?" in html and "Two minutes, promise." in html and "Send answers" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for position, (kind, text, _required, _choices) in enumerate(ALL_KINDS):
        field_id = f"field-{key(survey, position)}"
        if kind in ("short_text", "long_text"):
            assert f'<label for="{field_id}">{text}' in html
        else:
            assert f'id="{field_id}"' in html and f"<legend>{text}" in html
    assert html.count(f'name="{key(survey, 1)}"') == 11  # NPS 0–10
    assert 'aria-required="true"' in html  # the required rating


def test_the_page_follows_the_browsers_language(demo, visitor):
    invitation = invite(demo, make_survey(demo.workspace))
    html = visitor.get(url(invitation), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert '<html lang="es">' in html


def test_errors_are_shown_next_to_their_question_and_what_was_typed_stays(demo, visitor):
    survey = make_survey(demo.workspace)
    invitation = invite(demo, survey)
    response = visitor.post(url(invitation), {key(survey, 1): "Faster <b>please</b>"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html and "Choose a number from 1 to 5." in html
    assert f'href="#field-{key(survey, 0)}"' in html  # the summary links to the question
    assert f'id="field-{key(survey, 0)}-error"' in html
    assert "Faster &lt;b&gt;please&lt;/b&gt;</textarea>" in html  # kept, escaped
    assert not SurveyResponse.objects.exists()


def test_a_chosen_rating_stays_checked_after_an_error(demo, visitor):
    survey = make_survey(demo.workspace, questions=[("rating", "Rate", False, ""), ("short_text", "Name", True, "")])
    invitation = invite(demo, survey)
    html = visitor.post(url(invitation), {key(survey, 0): "4"}).content.decode()
    assert f'name="{key(survey, 0)}" value="4" checked' in html
    assert "Write an answer to this question." in html


def test_valid_answers_show_the_thank_you_text_and_a_second_submission_stores_nothing(demo, visitor):
    survey = make_survey(demo.workspace, thank_you="Gracias, de verdad.")
    invitation = invite(demo, survey)
    response = visitor.post(url(invitation), {key(survey, 0): "5", key(survey, 1): "Great"},
                            HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and "Gracias, de verdad." in response.content.decode()
    stored = SurveyResponse.objects.get()
    assert stored.language == "es" and stored.answers.count() == 2
    again = visitor.post(url(invitation), {key(survey, 0): "1"})
    assert again.status_code == 409
    assert "already been answered" in again.content.decode()
    assert SurveyResponse.objects.count() == 1 and stored.answers.get(kind="rating").number == 5
    reopened = visitor.get(url(invitation))  # the link still reads as a thank-you page
    assert reopened.status_code == 200 and "already been answered" in reopened.content.decode()


def test_expired_and_unknown_links_get_a_clear_page(demo, visitor):
    survey = make_survey(demo.workspace)
    invitation = invite(demo, survey)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    for method in (visitor.get, visitor.post):
        expired = method(url(invitation), *([{key(survey, 0): "5"}] if method == visitor.post else []))
        assert expired.status_code == 410 and "has expired" in expired.content.decode()
    unknown = visitor.post("/s/not-a-real-token-at-all-000000000/", {key(survey, 0): "5"})
    assert unknown.status_code == 404 and "Survey not found" in unknown.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_page_is_throttled_per_address(demo, visitor, settings):
    settings.SURVEY_REQUESTS_PER_MINUTE = 3
    codes = [visitor.get(f"/s/guess-{n:030d}/").status_code for n in range(5)]
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]
    limited = visitor.get("/s/guess-again/")
    assert int(limited["Retry-After"]) >= 1 and "Too many attempts" in limited.content.decode()


def test_hostile_survey_texts_are_escaped(demo, visitor):
    survey = make_survey(demo.workspace, title=HOSTILE, intro=HOSTILE,
                         questions=[("single", HOSTILE, True, f"{HOSTILE}\nfine")])
    html = visitor.get(url(invite(demo, survey))).content.decode()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_page_has_a_strict_script_policy(demo, visitor):
    response = visitor.get(url(invite(demo, make_survey(demo.workspace))))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_live_line_speaks_the_teams_language_not_the_contacts(demo, visitor, transactional_db):
    from realtime import journal

    survey = make_survey(demo.workspace)
    invitation = invite(demo, survey)
    before = journal.current(demo.workspace.pk)
    response = visitor.post(url(invitation), {key(survey, 1): "x" * 2001}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400 and journal.replay(demo.workspace.pk, before) == []  # nothing stored
    visitor.post(url(invitation), {key(survey, 0): "5"}, HTTP_ACCEPT_LANGUAGE="es")
    [frame] = journal.replay(demo.workspace.pk, before)
    assert "Survey answered" in frame["payload"]["log_html"]
