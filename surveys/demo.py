"""The demo workspace's satisfaction survey, with a few answered invitations (manage.py seed_demo)."""

from __future__ import annotations

from django.db import transaction

from inbox.models import Conversation
from workspaces.models import Membership, Workspace

from .models import Question, Survey, SurveyInvitation
from .services import survey_answer, survey_send

DEMO_TITLE = "How did we do?"
DEMO_ANSWERS = [  # (contact name, rating, comment)
    ("Diego López", 5, "Muy rápidos, ¡gracias!"),
    ("Grace Kim", 4, "Quick and friendly. The app could explain refunds better."),
    ("Kenji Sato", 2, "I had to ask twice before someone answered."),
]


def ensure_demo_survey(workspace: Workspace) -> Survey:
    survey = Survey.objects.for_workspace(workspace).filter(title=DEMO_TITLE).first()
    if survey is None:
        survey = Survey.objects.create(
            workspace=workspace, title=DEMO_TITLE,
            intro="Two quick questions about the help you got. It takes less than a minute.",
            thank_you="Thank you! Your answers help us answer better.")
        Question.objects.create(workspace=workspace, survey=survey, position=1, kind=Question.Kind.RATING,
                                text="How satisfied are you with the help you got?", required=True)
        Question.objects.create(workspace=workspace, survey=survey, position=2, kind=Question.Kind.LONG_TEXT,
                                text="Anything we could do better?", help_text="Optional.")
    return survey


@transaction.atomic
def seed_demo_surveys(workspace: Workspace, sender: Membership) -> int:
    """The survey, sent in the demo's closed conversations and answered there; once (safe to repeat)."""
    survey = ensure_demo_survey(workspace)
    if SurveyInvitation.objects.for_workspace(workspace).exists():
        return 0
    questions = list(survey.questions.order_by("position"))
    answered = 0
    for name, rating, comment in DEMO_ANSWERS:
        conversation = (Conversation.objects.for_workspace(workspace).filter(contact__name=name)
                        .order_by("-opened_at").first())
        if conversation is None:
            continue
        invitation = survey_send(workspace=workspace, conversation_id=conversation.pk, survey_id=survey.pk,
                                 actor=sender)
        survey_answer(token=invitation.token, language="en",
                      data={f"q{questions[0].pk}": [str(rating)], f"q{questions[1].pk}": [comment]})
        answered += 1
    return answered
