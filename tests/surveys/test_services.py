"""Sending a survey in a conversation and storing the contact's answers: tokens, freezing, validation, events."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from inbox.models import ConversationEvent, Message
from inbox.services import delivery
from kernel.models import Job
from surveys.errors import AnswersInvalid, InvitationUnavailable, SurveyError
from surveys.models import Answer, Question, Survey, SurveyInvitation, SurveyResponse
from surveys.services import survey_answer, survey_questions_changed, survey_send, token_hash
from tests import factories as f
from tests.inbox.helpers import webhook_receiver
from tests.surveys.helpers import ALL_KINDS, key, make_survey

LINK = re.compile(r"/s/([A-Za-z0-9_-]+)/")


def send(team, conversation=None, survey=None, **kwargs) -> SurveyInvitation:
    conversation = conversation or f.make_conversation(team.workspace)
    survey = survey or make_survey(team.workspace)
    return survey_send(workspace=team.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                       actor=kwargs.pop("actor", team.agent), **kwargs)


def test_sending_posts_a_survey_message_with_an_unguessable_link_and_logs_it(demo):
    conversation = f.make_conversation(demo.workspace)
    invitation = send(demo, conversation)
    message = Message.objects.get(pk=invitation.message_id)
    assert (message.kind, message.direction, message.status, message.sender) == ("survey", "out", "queued",
                                                                                 demo.agent)
    token = LINK.search(message.body).group(1)
    assert f"{settings.PUBLIC_BASE_URL}/s/{token}/" in message.body
    assert len(token) * 6 >= 128 and token == invitation.token  # base64url: 6 bits a character
    stored = SurveyInvitation.objects.get(pk=invitation.pk)
    assert stored.token_hash == token_hash(token) and token not in str(SurveyInvitation.objects.values().get())
    assert stored.expires_at - stored.created_at == timedelta(days=14)
    assert [q["text"] for q in stored.questions] == ["How satisfied are you?", "Anything we could do better?"]
    [entry] = ConversationEvent.objects.filter(conversation=conversation, kind="survey_sent")
    assert (entry.actor, entry.via) == (demo.agent, "member")
    assert Job.objects.filter(task="inbox.tasks.deliver_message", args=[demo.workspace.pk, message.pk]).exists()
    conversation.refresh_from_db()
    assert conversation.last_message_preview.startswith("How did we do?")


def test_two_invitations_never_share_a_token(demo):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    tokens = {send(demo, conversation, survey).token for _ in range(5)}
    assert len(tokens) == 5


def test_another_workspaces_survey_or_conversation_is_not_found(demo, other):
    theirs = make_survey(other.workspace)
    with pytest.raises(Survey.DoesNotExist):
        send(demo, survey=theirs)
    their_conversation = f.make_conversation(other.workspace)
    from inbox.models import Conversation

    with pytest.raises(Conversation.DoesNotExist):
        send(demo, conversation=their_conversation)
    with pytest.raises(SurveyError):
        send(demo, actor=other.agent)
    assert not SurveyInvitation.objects.exists() and not Message.objects.filter(kind="survey").exists()


def test_inactive_surveys_and_surveys_without_questions_are_not_sent(demo):
    with pytest.raises(Survey.DoesNotExist):
        send(demo, survey=make_survey(demo.workspace, is_active=False))
    with pytest.raises(SurveyError, match="no questions"):
        send(demo, survey=make_survey(demo.workspace, "Empty", questions=[]))
    assert not SurveyInvitation.objects.exists()


def test_a_workflow_sends_as_the_system_even_after_closing(demo):
    conversation = f.make_conversation(demo.workspace, status="closed")
    invitation = send(demo, conversation, actor=None, workflow_id=77)
    message = Message.objects.get(pk=invitation.message_id)
    assert (message.sender_type, message.sender) == ("system", None)
    entry = ConversationEvent.objects.get(conversation=conversation, kind="survey_sent")
    assert (entry.via, entry.workflow_id, entry.actor) == ("workflow", 77, None)
    assert invitation.workflow_id == 77


def test_the_api_channel_receives_kind_survey_with_the_link(demo):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        invitation = send(demo, conversation)
        delivery.deliver(workspace=demo.workspace, message_id=invitation.message_id)
        body = receiver.json()["message"]
    assert body["kind"] == "survey" and f"/s/{invitation.token}/" in body["text"]
    assert body["sender"] == "member"


# ---- answering -------------------------------------------------------------------------------------------


def test_answers_are_stored_once_with_the_questions_as_asked_and_logged(demo):
    conversation = f.make_conversation(demo.workspace)
    survey = make_survey(demo.workspace)
    invitation = send(demo, conversation, survey)
    response = survey_answer(token=invitation.token, data={key(survey, 0): ["4"], key(survey, 1): [" More hours "]},
                             language="es")
    assert (response.conversation, response.contact_id, response.language) == (conversation,
                                                                                conversation.contact_id, "es")
    rating, comment = response.answers.order_by("position")
    assert (rating.kind, rating.number, rating.question_text) == ("rating", 4, "How satisfied are you?")
    assert (comment.kind, comment.text) == ("long_text", "More hours")
    entry = ConversationEvent.objects.get(conversation=conversation, kind="survey_answered")
    assert (entry.via, response.log) == ("contact", entry)
    assert SurveyInvitation.objects.get(pk=invitation.pk).answered_at is not None
    with pytest.raises(InvitationUnavailable) as refused:
        survey_answer(token=invitation.token, data={key(survey, 0): ["1"]})
    assert refused.value.reason == "answered"
    assert SurveyResponse.objects.count() == 1 and Answer.objects.count() == 2
    assert ConversationEvent.objects.filter(kind="survey_answered").count() == 1


def test_expired_and_unknown_links_store_nothing(demo):
    survey = make_survey(demo.workspace)
    invitation = send(demo, survey=survey)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for token, reason in [(invitation.token, "expired"), ("x" * 32, "unknown"), ("", "unknown"), ("y" * 500,
                                                                                                   "unknown")]:
        with pytest.raises(InvitationUnavailable) as refused:
            survey_answer(token=token, data={key(survey, 0): ["5"]})
        assert refused.value.reason == reason
    assert not SurveyResponse.objects.exists()
    assert not ConversationEvent.objects.filter(kind="survey_answered").exists()


@pytest.mark.parametrize(("field", "values", "error"), [
    (0, [], "Choose a number from 1 to 5."),  # required rating left empty
    (0, ["6"], "Choose a number from 1 to 5."),
    (0, ["4", "5"], "Choose a number from 1 to 5."),
    (1, ["11"], "Choose a number from 0 to 10."),
    (2, ["Fax"], "Choose one of the options."),
    (3, ["Speed", "Bribes"], "Choose among the options shown."),
    (4, ["x" * 201], "Write at most 200 characters."),
    (5, ["x" * 2001], "Write at most 2000 characters."),
])
def test_invalid_answers_name_the_question_and_store_nothing(demo, field, values, error):
    survey = make_survey(demo.workspace, questions=ALL_KINDS)
    invitation = send(demo, survey=survey)
    data = {key(survey, 0): ["5"], key(survey, field): values}
    with pytest.raises(AnswersInvalid) as refused:
        survey_answer(token=invitation.token, data=data)
    assert refused.value.errors == {key(survey, field): error}
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get(pk=invitation.pk).answered_at is None  # still open: try again


def test_an_empty_submission_is_refused_even_without_required_questions(demo):
    survey = make_survey(demo.workspace, questions=[("long_text", "Comments", False, "")])
    invitation = send(demo, survey=survey)
    with pytest.raises(AnswersInvalid) as refused:
        survey_answer(token=invitation.token, data={key(survey, 0): ["   "]})
    assert refused.value.errors == {"__all__": "Answer at least one question before sending."}


def test_every_kind_is_stored_and_text_is_cleaned(demo):
    survey = make_survey(demo.workspace, questions=ALL_KINDS)
    invitation = send(demo, survey=survey)
    response = survey_answer(token=invitation.token, data={
        key(survey, 0): ["3"], key(survey, 1): ["0"], key(survey, 2): ["Phone"],
        key(survey, 3): ["Clarity", "Speed", "Speed"], key(survey, 4): ["  Ana \n García\x00 "],
        key(survey, 5): ["<script>alert(1)</script>\r\nsecond line"],
    })
    got = {a.kind: a for a in response.answers.all()}
    assert got["rating"].number == 3 and got["nps"].number == 0
    assert got["single"].text == "Phone" and got["multiple"].choices == ["Speed", "Clarity"]
    assert got["short_text"].text == "Ana García"
    assert got["long_text"].text == "<script>alert(1)</script>\nsecond line"  # stored as typed, escaped on pages


def test_editing_a_sent_survey_keeps_old_answers_and_pending_invitations_intact(demo):
    survey = make_survey(demo.workspace)
    answered, pending = send(demo, survey=survey), send(demo, survey=survey)
    old_key = key(survey, 0)
    survey_answer(token=answered.token, data={old_key: ["2"]})
    rating = survey.questions.get(kind="rating")
    rating.text = "Rate the new thing"
    rating.save()
    survey.questions.filter(kind="long_text").delete()
    Question.objects.create(workspace=demo.workspace, survey=survey, position=5, kind="nps", text="Recommend?")
    survey_questions_changed(workspace=demo.workspace, survey_id=survey.pk)
    survey.refresh_from_db()
    assert survey.version == 2
    [old] = Answer.objects.all()
    assert old.question_text == "How satisfied are you?" and old.number == 2
    # The pending invitation still asks what it was sent with; its answer to the removed question is kept.
    assert [q["text"] for q in SurveyInvitation.objects.get(pk=pending.pk).questions] == [
        "How satisfied are you?", "Anything we could do better?"]
    removed_key = SurveyInvitation.objects.get(pk=pending.pk).questions[1]["key"]
    response = survey_answer(token=pending.token, data={old_key: ["5"], removed_key: ["Still here"]})
    comment = response.answers.get(kind="long_text")
    assert (comment.question_id, comment.question_text, comment.text) == (None, "Anything we could do better?",
                                                                          "Still here")
    assert response.survey_version == 1
    fresh = send(demo, survey=survey)
    assert [q["text"] for q in fresh.questions] == ["Rate the new thing", "Recommend?"]
    assert fresh.survey_version == 2


def test_version_stays_when_a_survey_was_never_sent(demo):
    survey = make_survey(demo.workspace)
    survey_questions_changed(workspace=demo.workspace, survey_id=survey.pk)
    survey.refresh_from_db()
    assert survey.version == 1
