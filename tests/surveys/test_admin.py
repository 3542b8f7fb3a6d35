"""Surveys in the scoped admin: own workspace only, questions inline with their rules, responses read-only,
and editing a survey that was sent raises its version while old answers stay as they were."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from surveys.admin import QuestionInline, SurveyAdmin
from surveys.models import Answer, Question, Survey, SurveyResponse
from surveys.services import survey_answer, survey_send
from tests import factories as f
from tests.admin_helpers import admin_form_errors as _errors
from tests.surveys.helpers import key, make_survey
from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline

pytestmark = pytest.mark.django_db

ADD = "admin:surveys_survey_add"


def _questions(*rows, initial: int = 0) -> dict[str, str]:
    data = {"questions-TOTAL_FORMS": str(len(rows)), "questions-INITIAL_FORMS": str(initial),
            "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"questions-{i}-{name}": value for name, value in row.items()})
    return data


def test_admin_uses_the_scoped_bases():
    model_admin = admin.site._registry[Survey]
    assert isinstance(model_admin, SurveyAdmin) and isinstance(model_admin, WorkspaceScopedAdmin)
    assert QuestionInline in model_admin.inlines and issubclass(QuestionInline, WorkspaceScopedInline)


def test_admin_sees_only_its_workspaces_surveys_and_agents_none(demo, other, client_for):
    make_survey(demo.workspace, "Ours")
    theirs = make_survey(other.workspace, "Theirs")
    html = client_for(demo.admin).get(reverse("admin:surveys_survey_changelist")).content.decode()
    assert "Ours" in html and "Theirs" not in html
    response = client_for(demo.admin).get(reverse("admin:surveys_survey_change", args=[theirs.pk]))
    assert response.status_code in (302, 404)
    assert client_for(demo.agent).get(reverse("admin:surveys_survey_changelist")).status_code == 403


def test_admin_adds_a_survey_with_ordered_questions(demo, client_for):
    response = client_for(demo.admin).post(reverse(ADD), {
        "workspace": demo.workspace.pk, "title": "After the chat", "intro": "", "thank_you": "Thanks!",
        "is_active": "on",
        **_questions({"position": "1", "kind": "rating", "text": "Rate us", "required": "on"},
                     {"position": "2", "kind": "single", "text": "Channel?", "choices": " Chat \n\nPhone\n"}),
    })
    assert response.status_code == 302, _errors(response)
    survey = Survey.objects.get(title="After the chat")
    assert survey.workspace == demo.workspace
    rating, single = survey.questions.order_by("position")
    assert (rating.kind, rating.required, single.choice_list) == ("rating", True, ["Chat", "Phone"])
    assert single.workspace == demo.workspace


@pytest.mark.parametrize(("row", "error"), [
    ({"kind": "single", "text": "Pick", "choices": "Only one"}, "Give at least two choices, one per line."),
    ({"kind": "multiple", "text": "Pick", "choices": "A\nA"}, "Each choice once."),
    ({"kind": "rating", "text": "Rate", "choices": "A\nB"}, "Only single and multiple choice questions have choices."),
])
def test_question_rules_are_form_errors(demo, client_for, row, error):
    response = client_for(demo.admin).post(reverse(ADD), {
        "workspace": demo.workspace.pk, "title": "Bad", "thank_you": "Thanks", **_questions({"position": "0", **row})})
    assert error in str(_errors(response)["questions-0-choices"])
    assert not Survey.objects.filter(title="Bad").exists()


def test_editing_a_sent_survey_in_the_admin_raises_its_version_and_keeps_answers(demo, client_for):
    survey = make_survey(demo.workspace)
    conversation = f.make_conversation(demo.workspace)
    invitation = survey_send(workspace=demo.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                             actor=demo.agent)
    survey_answer(token=invitation.token, data={key(survey, 0): ["3"]})
    rating, comment = survey.questions.order_by("position")
    response = client_for(demo.admin).post(reverse("admin:surveys_survey_change", args=[survey.pk]), {
        "title": survey.title, "intro": "", "thank_you": "Thanks", "is_active": "on",
        **_questions({"id": str(rating.pk), "survey": str(survey.pk), "position": "0", "kind": "rating",
                      "text": "A new wording", "required": "on"},
                     {"id": str(comment.pk), "survey": str(survey.pk), "position": "1", "kind": "long_text",
                      "text": comment.text, "DELETE": "on"}, initial=2),
    })
    assert response.status_code == 302, _errors(response)
    survey.refresh_from_db()
    assert survey.version == 2 and list(survey.questions.values_list("text", flat=True)) == ["A new wording"]
    answer = Answer.objects.get()
    assert (answer.question_text, answer.number) == ("How satisfied are you?", 3)
    assert Question.objects.filter(pk=comment.pk).exists() is False


def test_responses_are_read_only_in_the_admin(demo, other, client_for):
    survey = make_survey(demo.workspace)
    conversation = f.make_conversation(demo.workspace)
    invitation = survey_send(workspace=demo.workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                             actor=demo.agent)
    response = survey_answer(token=invitation.token, data={key(survey, 0): ["4"], key(survey, 1): ["<b>ok</b>"]})
    client = client_for(demo.admin)
    page = client.get(reverse("admin:surveys_surveyresponse_change", args=[response.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "&lt;b&gt;ok&lt;/b&gt;" in html and "<b>ok</b>" not in html
    assert client.post(reverse("admin:surveys_surveyresponse_change", args=[response.pk]), {}).status_code == 403
    assert client_for(other.admin).get(
        reverse("admin:surveys_surveyresponse_change", args=[response.pk])).status_code in (302, 404)
    assert SurveyResponse.objects.get().answers.count() == 2
