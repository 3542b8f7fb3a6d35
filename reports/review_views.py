"""The Review pages: closed conversations with filters, one conversation read-only, reopening, the CSV export."""

from __future__ import annotations

import csv
import re
from collections.abc import AsyncIterator, Callable, Iterator

from asgiref.sync import sync_to_async
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inbox import selectors as inbox_selectors
from inbox.errors import InboxError
from inbox.models import ConversationEvent
from inbox.services.reopening import conversation_reopen
from surveys.selectors import responses_for_conversation

from . import review_selectors as rs
from .access import review_required
from .review_forms import ReviewFilterForm

ASSIGNMENT_KINDS = {ConversationEvent.Kind.OPENED, ConversationEvent.Kind.ASSIGNED, ConversationEvent.Kind.UNASSIGNED,
                    ConversationEvent.Kind.CLOSED, ConversationEvent.Kind.REOPENED, "waiting",
                    ConversationEvent.Kind.HANDED_OVER}


def _form(request: HttpRequest) -> tuple[ReviewFilterForm, rs.ReviewChoices, bool]:
    choices = rs.review_choices(workspace=request.workspace)
    form = ReviewFilterForm(request.GET, choices=choices)
    return form, choices, form.is_valid()


@review_required
@require_GET
def review(request: HttpRequest, slug: str) -> HttpResponse:
    """Closed conversations, newest closed first, with filters; "Older" seeks past the last row shown."""
    form, choices, valid = _form(request)
    page = rs.review_page(workspace=request.workspace, filters=form.filters(), cursor=request.GET.get("after"))
    for row in page.rows:
        row.last_assignee_name = choices.member_name(row.last_assignee_id)
    query = form.query_string()
    context = {"nav": "review", "form": form, "page": page, "query": query, "filtered": bool(query)}
    return render(request, "reports/review.html", context, status=200 if valid else 400)


@review_required
@require_GET
def review_detail(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """One conversation read-only: transcript, closing note, assignment history and survey answers."""
    workspace = request.workspace
    conversation = inbox_selectors.conversation_for(workspace=workspace, conversation_id=conversation_id)
    history = inbox_selectors.conversation_history(workspace=workspace, conversation=conversation)
    assignments = [item for item in history if getattr(item, "is_log_entry", False) and item.kind in ASSIGNMENT_KINDS]
    context = {
        "nav": "review", "conversation": conversation, "history": history, "assignments": assignments,
        "responses": responses_for_conversation(workspace=workspace, conversation_id=conversation.pk),
        "can_reopen": request.membership.can_review and not conversation.is_open,
        "back_query": request.GET.urlencode(),
    }
    return render(request, "reports/review_detail.html", context)


@review_required
@require_POST
def reopen(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """Supervisors and admins reopen a closed conversation; it is the contact's open conversation again."""
    conversation = inbox_selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    if not request.membership.can_review:
        raise PermissionDenied
    try:
        conversation_reopen(workspace=request.workspace, conversation_id=conversation.pk, actor=request.membership)
    except InboxError as exc:
        flash.error(request, str(exc))
        back = "inbox:conversation" if request.POST.get("back") == "conversation" else "reports:review_detail"
        return redirect(reverse(back, args=[slug, conversation.pk]))
    flash.success(request, _("Conversation with %(name)s reopened.") % {"name": conversation.contact.display_name})
    return redirect(reverse("inbox:conversation", args=[slug, conversation.pk]))


# ---- CSV export ------------------------------------------------------------------------------------------


class _Line:
    """csv.writer writes to this and gets the line back: nothing is buffered."""

    def write(self, value: str) -> str:
        return value


_PHONE = re.compile(r"\+[\d ()./-]+")


def _cell(value) -> str:
    """Text as a spreadsheet shows it, never as a formula (a contact may be named "=HYPERLINK(…)"); a phone
    number such as +34 600 000 001 stays as it is."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PHONE.fullmatch(text):
        return "'" + text
    return text


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _csv_chunks(workspace, filters: rs.ReviewFilters, choices: rs.ReviewChoices,
                header: list[str]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)  # the BOM: spreadsheets read the file as UTF-8
    lines: list[str] = []
    for pk, closed, opened, name, phone, email, channel, category, summary, author_id, assignee_id in rs.export_rows(
            workspace=workspace, filters=filters):
        lines.append(writer.writerow([
            pk, _when(closed), _when(opened), _cell(name), _cell(phone), _cell(email), _cell(channel),
            _cell(category), _cell(summary), _cell(choices.member_name(author_id)),
            _cell(choices.member_name(assignee_id))]))
        if len(lines) >= rs.EXPORT_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


async def _async_chunks(make: Callable[[], Iterator[str]]) -> AsyncIterator[str]:
    """The same chunks for an ASGI server: each read runs in the request's thread (its database connection),
    so a 100k-row export streams instead of being collected in memory first."""
    chunks = await sync_to_async(make)()
    while (chunk := await sync_to_async(next)(chunks, None)) is not None:
        yield chunk


@review_required
@require_GET
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """The filtered list as CSV, streamed chunk by chunk (constant memory whatever the number of rows)."""
    form, choices, valid = _form(request)
    if not valid:
        return HttpResponse(" ".join(str(e) for errors in form.errors.values() for e in errors), status=400,
                            content_type="text/plain; charset=utf-8")
    header = [_("Conversation"), _("Closed at"), _("Opened at"), _("Contact"), _("Phone"), _("Email"), _("Channel"),
              _("Category"), _("Summary"), _("Closed by"), _("Assignee")]
    filters = form.filters()

    def make() -> Iterator[str]:
        return _csv_chunks(request.workspace, filters, choices, header)

    content = _async_chunks(make) if isinstance(request, ASGIRequest) else make()
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="review-{slug}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
