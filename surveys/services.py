"""Surveys' writes: sending an invitation in a conversation, and storing a contact's answers once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import Conversation, ConversationEvent, Message
from kernel import events as domain
from kernel.dispatch import record
from kernel.text import preview
from workspaces.models import Membership, Workspace

from .answers import clean_answers, freeze
from .errors import AnswersInvalid, InvitationUnavailable, SurveyError
from .models import Answer, Question, Survey, SurveyInvitation, SurveyResponse

TOKEN_BYTES = 24  # 192 bits, URL-safe base64: 32 characters
TOKEN_MAX_CHARS = 64  # anything longer is no token of ours


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_days() -> int:
    return int(getattr(settings, "SURVEY_INVITATION_DAYS", 14))


def public_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/s/{token}/"


@transaction.atomic
def survey_send(*, workspace: Workspace, conversation_id: int, survey_id: int, actor: Membership | None,
                workflow_id: int | None = None) -> SurveyInvitation:
    """Send an active survey to the conversation's contact: a `survey` message whose text holds the public link
    (queued, delivered through the channel like a reply), and a "Survey sent" line in the log.

    By a member (`actor`) or a workflow (`actor=None`, `workflow_id`); a closed conversation may get one too (a
    survey right after closing). The invitation keeps the questions as sent; the returned object's `token` is
    the raw token, which is not stored anywhere. Another workspace's conversation or survey, or an inactive
    survey, is DoesNotExist; a survey without questions is a SurveyError.
    """
    if actor is not None and actor.workspace_id != workspace.pk:
        raise SurveyError(_("That person is not a member of this workspace."))
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update(of=("self",)).filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    survey = Survey.objects.for_workspace(workspace).active().filter(pk=survey_id).first()
    if survey is None:
        raise Survey.DoesNotExist
    questions = freeze(survey.questions.order_by("position", "id"))
    if not questions:
        raise SurveyError(_("The survey “%(title)s” has no questions yet.") % {"title": survey.title})
    now = timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    text = f"{survey.title}\n{public_url(token)}"
    sender = Message.Sender.MEMBER if actor is not None else Message.Sender.SYSTEM
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel_id=conversation.channel_id,
        direction=Message.Direction.OUT, kind=Message.Kind.SURVEY, sender_type=sender, sender=actor, body=text,
        status=Message.Status.QUEUED, created_at=now,
    )
    invitation = SurveyInvitation.objects.create(
        workspace=workspace, survey=survey, conversation=conversation, contact_id=conversation.contact_id,
        message=message, token_hash=token_hash(token), survey_version=survey.version, questions=questions,
        sent_by=actor, workflow_id=workflow_id, created_at=now, expires_at=now + timedelta(days=invitation_days()),
    )
    if conversation.is_open:  # a closed conversation keeps its place (it is in no queue)
        conversation.last_activity_at = now
        conversation.last_message_preview = preview(text)
        conversation.save(update_fields=["last_activity_at", "last_message_preview", "updated_at"])
    entry = ConversationEvent.objects.create(
        workspace=workspace, conversation=conversation, kind=ConversationEvent.Kind.SURVEY_SENT, actor=actor,
        via=ConversationEvent.Via.MEMBER if actor is not None else ConversationEvent.Via.WORKFLOW,
        workflow_id=workflow_id, created_at=now,
    )
    actor_id = actor.pk if actor is not None else None
    record(domain.MessageQueued(workspace_id=workspace.pk, conversation_id=conversation.pk, message_id=message.pk,
                                sender=sender, actor_id=actor_id))
    record(domain.SurveySent(workspace_id=workspace.pk, conversation_id=conversation.pk, survey_id=survey.pk,
                             invitation_id=invitation.pk, message_id=message.pk, actor_id=actor_id,
                             workflow_id=workflow_id, log_id=entry.pk))
    invitation.token = token
    return invitation


def _locked_invitation(token: str) -> SurveyInvitation:
    if not token or len(token) > TOKEN_MAX_CHARS:
        raise InvitationUnavailable("unknown")
    invitation = (SurveyInvitation.objects.select_for_update(of=("self",)).select_related("survey")
                  .filter(token_hash=token_hash(token)).first())
    if invitation is None:
        raise InvitationUnavailable("unknown")
    return invitation


def check_open(invitation: SurveyInvitation) -> None:
    """Raise InvitationUnavailable unless the invitation can still take its answers."""
    if invitation.answered_at is not None:
        raise InvitationUnavailable("answered")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnavailable("expired")


@transaction.atomic
def survey_answer(*, token: str, data: Mapping, language: str = "") -> SurveyResponse:
    """Store a contact's answers to the invitation behind `token`, once.

    `data` is the submitted form (a QueryDict, or {question key: [values]}), validated against the questions
    as sent: AnswersInvalid names each problem and nothing is stored. An unknown, expired or already answered
    link is InvitationUnavailable, nothing stored. The log gets a "Survey answered" line (pushed live).
    """
    invitation = _locked_invitation(token)
    check_open(invitation)
    answers, errors = clean_answers(invitation.questions, data)
    if errors:
        raise AnswersInvalid(errors)
    now = timezone.now()
    workspace_id = invitation.workspace_id
    entry = ConversationEvent.objects.create(
        workspace_id=workspace_id, conversation_id=invitation.conversation_id, created_at=now,
        kind=ConversationEvent.Kind.SURVEY_ANSWERED, via=ConversationEvent.Via.CONTACT,
    )
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                workspace_id=workspace_id, invitation=invitation, survey_id=invitation.survey_id,
                conversation_id=invitation.conversation_id, contact_id=invitation.contact_id,
                survey_version=invitation.survey_version, language=language[:8], log=entry, submitted_at=now,
            )
    except IntegrityError:  # answered at this very instant by another request (no row lock on SQLite)
        raise InvitationUnavailable("answered") from None
    asked = {a.question_id for a in answers if a.question_id is not None}
    still_there = set(Question.objects.filter(workspace_id=workspace_id, pk__in=asked).values_list("pk", flat=True))
    Answer.objects.bulk_create([  # a question removed since sending: the answer keeps its frozen text only
        Answer(workspace_id=workspace_id, response=response, position=a.position,
               question_id=a.question_id if a.question_id in still_there else None,
               kind=a.kind, question_text=a.question_text, number=a.number, text=a.text, choices=list(a.choices))
        for a in answers
    ])
    SurveyInvitation.objects.filter(pk=invitation.pk).update(answered_at=now)
    record(domain.SurveyAnswered(workspace_id=workspace_id, conversation_id=invitation.conversation_id,
                                 survey_id=invitation.survey_id, invitation_id=invitation.pk,
                                 response_id=response.pk, log_id=entry.pk))
    return response


def survey_questions_changed(*, workspace: Workspace, survey_id: int) -> None:
    """The admin changed a survey's questions: once it has been sent, its version goes up (old invitations and
    responses keep the questions they had)."""
    sent = SurveyInvitation.objects.filter(survey_id=OuterRef("pk"))
    Survey.objects.for_workspace(workspace).filter(Exists(sent), pk=survey_id).update(version=F("version") + 1)
