"""Members' side of surveys: "Send survey" in the composer, sending, the answers page and the live line."""

from __future__ import annotations

import pytest

from inbox.models import Message
from realtime import journal
from surveys.models import SurveyInvitation
from surveys.services import survey_answer, survey_send
from tests import factories as f
from tests.surveys.helpers import key, make_survey

HOSTILE = "<img src=x onerror=alert(1)>"


def send_url(team, conversation) -> str:
    return f"/w/{team.slug}/surveys/send/{conversation.pk}/"


def test_the_composer_has_send_survey(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    html = client_for(demo.agent).get(f"/w/demo/messages/{conversation.pk}/").content.decode()
    assert 'aria-label="Send survey"' in html and f'href="{send_url(demo, conversation)}"' in html
    assert "js/surveys.js" in html


def test_the_list_offers_this_workspaces_active_surveys_with_questions(demo, other, client_for):
    conversation = f.make_conversation(demo.workspace)
    make_survey(demo.workspace, "Satisfaction")
    make_survey(demo.workspace, "Retired", is_active=False)
    make_survey(demo.workspace, "Draft", questions=[])
    make_survey(other.workspace, "Theirs")
    client = client_for(demo.agent)
    fragment = client.get(send_url(demo, conversation), HTTP_X_REQUESTED_WITH="fetch").content.decode()
    assert "Satisfaction" in fragment and "2 questions" in fragment
    assert not any(name in fragment for name in ("Retired", "Draft", "Theirs"))
    page = client.get(send_url(demo, conversation)).content.decode()  # without JavaScript: a page of forms
    assert "<form" in page and "Send “Satisfaction”" in page


def test_sending_from_the_composer_returns_the_message(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    response = client_for(demo.agent).post(send_url(demo, conversation), {"survey": survey.pk},
                                           HTTP_X_REQUESTED_WITH="fetch")
    message = Message.objects.get(kind="survey")
    assert response.status_code == 200 and f'id="msg-{message.pk}"' in response.content.decode()
    assert SurveyInvitation.objects.get().sent_by == demo.agent


def test_sending_without_javascript_redirects_back_to_the_conversation(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    response = client_for(demo.agent).post(send_url(demo, conversation), {"survey": survey.pk})
    assert response.status_code == 302 and response["Location"] == f"/w/demo/messages/{conversation.pk}/"


def test_another_workspaces_survey_is_not_found_and_nothing_is_sent(demo, other, client_for):
    conversation = f.make_conversation(demo.workspace)
    theirs = make_survey(other.workspace)
    response = client_for(demo.agent).post(send_url(demo, conversation), {"survey": theirs.pk},
                                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 404 and not SurveyInvitation.objects.exists()


@pytest.mark.parametrize("survey_value", ["", "abc"])
def test_a_missing_survey_is_a_400(demo, client_for, survey_value):
    conversation = f.make_conversation(demo.workspace)
    response = client_for(demo.agent).post(send_url(demo, conversation), {"survey": survey_value},
                                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 400 and response.content.decode() == "Choose a survey to send."


def test_a_closed_conversation_gets_no_survey_from_the_composer(demo, client_for):
    conversation = f.make_conversation(demo.workspace, status="closed")
    survey = make_survey(demo.workspace)
    response = client_for(demo.agent).post(send_url(demo, conversation), {"survey": survey.pk},
                                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 400 and not SurveyInvitation.objects.exists()


def _answered(team, text="Great"):
    conversation = f.make_conversation(team.workspace)
    survey = make_survey(team.workspace)
    invitation = survey_send(workspace=team.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                             actor=team.agent)
    response = survey_answer(token=invitation.token, data={key(survey, 0): ["4"], key(survey, 1): [text]})
    return conversation, response


def test_the_history_links_the_answered_line_to_the_answers(demo, client_for):
    conversation, response = _answered(demo, HOSTILE)
    client = client_for(demo.agent)
    html = client.get(f"/w/demo/messages/{conversation.pk}/").content.decode()
    link = f'/w/demo/surveys/answers/{conversation.pk}/#answers-{response.log_id}'
    assert "Survey answered" in html and link in html and "Survey sent by Demo Agent" in html
    answers = client.get(f"/w/demo/surveys/answers/{conversation.pk}/").content.decode()
    assert f'id="answers-{response.log_id}"' in answers and "How satisfied are you?" in answers
    assert HOSTILE not in answers and "&lt;img src=x onerror=alert(1)&gt;" in answers


def test_answers_arrive_live_as_the_answered_line(demo, django_capture_on_commit_callbacks):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = survey_send(workspace=demo.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                                 actor=demo.agent)
    before = journal.current(demo.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        survey_answer(token=invitation.token, data={key(survey, 0): ["5"]})
    [frame] = journal.replay(demo.workspace.pk, before)
    assert frame["event"] == "conversation.updated"
    payload = frame["payload"]
    assert payload["conversation_id"] == conversation.pk and payload["counts"] is None
    assert "Survey answered" in payload["log_html"]
    assert f"/w/demo/surveys/answers/{conversation.pk}/" in payload["log_html"]


def test_sending_pushes_the_message_and_the_sent_line(demo, django_capture_on_commit_callbacks):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    before = journal.current(demo.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        survey_send(workspace=demo.workspace, conversation_id=conversation.pk, survey_id=survey.pk, actor=demo.agent)
    created, line = journal.replay(demo.workspace.pk, before)
    assert created["event"] == "message.created" and "/s/" in created["payload"]["html"]
    assert line["event"] == "conversation.updated" and "Survey sent by" in line["payload"]["log_html"]


def test_the_contacts_page_shows_their_answers_within_its_query_budget(demo, other, client_for,
                                                                         django_assert_max_num_queries):
    conversation, response = _answered(demo, HOSTILE)
    _answered(other, "Someone else's words")
    client = client_for(demo.agent)
    client.get("/w/demo/messages/")
    with django_assert_max_num_queries(8):
        html = client.get(f"/w/demo/contacts/{conversation.contact_id}/").content.decode()
    assert "Survey answers" in html and "How satisfied are you?" in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Someone else" not in html
    plain = f.make_contact(demo.workspace, name="No answers")
    assert "Survey answers" not in client.get(f"/w/demo/contacts/{plain.pk}/").content.decode()
