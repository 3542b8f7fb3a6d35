"""Surveys' reads: the composer's list, the public page's invitation, and answers grouped by response."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from workspaces.models import Workspace

from .errors import InvitationUnavailable
from .models import Answer, Survey, SurveyInvitation, SurveyResponse
from .services import TOKEN_MAX_CHARS, check_open, token_hash


def survey_choices(*, workspace: Workspace) -> list[Survey]:
    """Active surveys that have questions (what "Send survey" lists), by title: one query."""
    return list(
        Survey.objects.for_workspace(workspace).active().annotate(question_count=Count("questions"))
        .filter(question_count__gt=0).order_by("title", "id")
    )


def invitation_for_token(token: str, *, must_be_open: bool = True) -> SurveyInvitation:
    """The invitation behind a public link, with its survey (one query). InvitationUnavailable when unknown,
    and (must_be_open) when expired or answered."""
    invitation = None
    if token and len(token) <= TOKEN_MAX_CHARS:
        invitation = SurveyInvitation.objects.select_related("survey").filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationUnavailable("unknown")
    if must_be_open:
        check_open(invitation)
    return invitation


@dataclass
class ResponseView:
    """One response with its answers, as pages show it."""

    response: SurveyResponse
    answers: list[Answer] = field(default_factory=list)

    @property
    def rating(self) -> int | None:
        return next((a.number for a in self.answers if a.kind == "rating"), None)


def _grouped(answers) -> list[ResponseView]:
    views: dict[int, ResponseView] = {}
    for answer in answers:
        view = views.get(answer.response_id)
        if view is None:
            view = views[answer.response_id] = ResponseView(answer.response)
        view.answers.append(answer)
    return list(views.values())


def _answers(workspace: Workspace):
    # Every response has at least one answer (an empty one is refused), so one query over answers is enough.
    return (Answer.objects.for_workspace(workspace).select_related("response__survey")
            .order_by("-response__submitted_at", "response_id", "position", "id"))


def responses_for_conversation(*, workspace: Workspace, conversation_id: int) -> list[ResponseView]:
    """The conversation's responses, newest first, each with its answers in the order asked: one query."""
    return _grouped(_answers(workspace).filter(response__conversation_id=conversation_id))


def responses_for_contact(*, workspace: Workspace, contact_id: int, limit: int = 200) -> list[ResponseView]:
    """The contact's responses (every conversation), newest first: one query."""
    return _grouped(_answers(workspace).filter(response__contact_id=contact_id)[:limit])


def contact_section(*, workspace: Workspace, contact) -> dict | None:
    """The contact page's "Survey answers" section (settings.PARLEY_CONTACT_SECTIONS), or None without any."""
    responses = responses_for_contact(workspace=workspace, contact_id=contact.pk)
    return {"template": "surveys/_contact_section.html", "responses": responses} if responses else None
