"""Survey pages: the contacts' public page (no login), and the members' "Send survey" and answers pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from inbox import selectors as inbox_selectors
from inbox.models import Conversation
from workspaces.access import workspace_member_required
from workspaces.client_ip import client_ip
from workspaces.throttle import hit

from . import selectors
from .answers import FORM_ERROR, RANGES
from .errors import AnswersInvalid, InvitationUnavailable, SurveyError
from .models import Survey, SurveyInvitation
from .services import survey_answer, survey_send, token_hash

UNAVAILABLE_STATUS = {"unknown": 404, "expired": 410, "answered": 409, "throttled": 429}


def _requests_per_minute() -> int:
    return int(getattr(settings, "SURVEY_REQUESTS_PER_MINUTE", 60))


def _fields(invitation: SurveyInvitation, data=None, errors: dict[str, str] | None = None) -> list[dict]:
    """Each question as the form shows it: its control's id, the values typed so far, its error."""
    errors = errors or {}
    fields = []
    for question in invitation.questions:
        key = question["key"]
        low_high = RANGES.get(question["kind"])
        fields.append({
            **question,
            "id": f"field-{key}",
            "values": [str(v) for v in data.getlist(key)] if data is not None else [],
            "error": errors.get(key, ""),
            "numbers": [str(n) for n in range(low_high[0], low_high[1] + 1)] if low_high else [],
        })
    return fields


def _unavailable(request: HttpRequest, reason: str, invitation: SurveyInvitation | None = None,
                 retry_after: int | None = None) -> HttpResponse:
    status = UNAVAILABLE_STATUS[reason]
    if reason == "answered" and request.method == "GET":
        status = 200  # the link still works as a "thank you" page; only a second submission is refused
    response = render(request, "surveys/unavailable.html",
                      {"reason": reason, "survey": invitation.survey if invitation else None}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def public_survey(request: HttpRequest, token: str) -> HttpResponse:
    """/s/<token>/: the survey as sent, in the browser's language; the thank-you text once answered.

    Unknown (404), expired (410) or already answered (409 on a second submission) links get a clear page and
    store nothing. Throttled per address (429): a token cannot be guessed by trying.
    """
    wait = hit(f"survey-page:{client_ip(request)}", limit=_requests_per_minute())
    if wait is None and request.method == "POST":
        wait = hit(f"survey-post:{token_hash(token)[:24]}", limit=10)
    if wait is not None:
        return _unavailable(request, "throttled", retry_after=wait)
    try:
        invitation = selectors.invitation_for_token(token, must_be_open=False)
    except InvitationUnavailable as exc:
        return _unavailable(request, exc.reason)
    context = {"survey": invitation.survey, "errors": {}, "form_error": ""}
    if request.method == "POST":
        try:
            _answer(request, token)
        except InvitationUnavailable as exc:
            return _unavailable(request, exc.reason, invitation)
        except AnswersInvalid as exc:
            context.update(fields=_fields(invitation, request.POST, exc.errors), errors=exc.errors,
                           form_error=exc.errors.get(FORM_ERROR, ""))
            return render(request, "surveys/public.html", context, status=400)
        return render(request, "surveys/thanks.html", context)
    if invitation.answered_at is not None:
        return _unavailable(request, "answered", invitation)
    if invitation.expires_at <= timezone.now():
        return _unavailable(request, "expired", invitation)
    context["fields"] = _fields(invitation)
    return render(request, "surveys/public.html", context)


def _answer(request: HttpRequest, token: str) -> None:
    """Store the answers; errors speak the contact's language, the live push after commit the team's (it is
    rendered once for every member, so never in the language of the contact's browser)."""
    language = getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic(), translation.override(language):
        survey_answer(token=token, data=request.POST, language=language)


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@workspace_member_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """GET: the workspace's surveys to choose from (the composer's list, or a page without JavaScript).
    POST survey=<id>: send it in the conversation."""
    conversation = inbox_selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    conversation_url = reverse("inbox:conversation", args=[slug, conversation.pk])
    if request.method == "GET":
        context = {"conversation": conversation, "surveys": selectors.survey_choices(workspace=request.workspace),
                   "conversation_url": conversation_url, "nav": "messages"}
        template = "surveys/_survey_choices.html" if _wants_fragment(request) else "surveys/send.html"
        return render(request, template, context)
    error = ""
    try:
        survey_id = int(request.POST.get("survey", ""))
    except ValueError:
        survey_id, error = None, _("Choose a survey to send.")
    if survey_id is not None:
        if not conversation.is_open:
            error = _("This conversation is closed.")
        else:
            try:
                invitation = survey_send(workspace=request.workspace, conversation_id=conversation.pk,
                                         survey_id=survey_id, actor=request.membership)
            except (Survey.DoesNotExist, Conversation.DoesNotExist):
                raise Http404("No such survey.") from None
            except SurveyError as exc:
                error = str(exc)
    if _wants_fragment(request):
        if error:
            return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
        message = inbox_selectors.message_for(workspace=request.workspace, message_id=invitation.message_id)
        return render(request, "inbox/_message.html", {"message": message, "slug": slug})
    if error:
        flash.error(request, error)
    else:
        flash.success(request, _("Survey sent."))
    return redirect(conversation_url)


@workspace_member_required
@require_GET
def answers(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """The answers to the surveys of one conversation (the history's "Survey answered" line links here)."""
    conversation = inbox_selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    responses = selectors.responses_for_conversation(workspace=request.workspace, conversation_id=conversation.pk)
    return render(request, "surveys/answers.html", {"nav": "messages", "conversation": conversation,
                                                    "responses": responses})
