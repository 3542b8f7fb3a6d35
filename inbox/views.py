"""Inbox pages: thin views that parse, call one selector or service, and render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workspaces.access import workspace_member_required

from . import live, selectors
from .errors import InboxError
from .forms import AssignForm, CloseForm, ReplyForm
from .models import Conversation
from .services.assignment import conversation_assign
from .services.closing import conversation_close
from .services.delivery import retry_failed
from .services.replying import add_note, mark_read, send_reply


def _tab(request: HttpRequest) -> str:
    """The queue tab the agent came from (?tab=): kept on the conversation page, its forms and redirects."""
    tab = request.GET.get("tab", "all")
    return tab if tab in selectors.TABS else "all"


def _tab_query(tab: str) -> str:
    return "" if tab == "all" else f"?tab={tab}"


def _back_to_conversation(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    url = reverse("inbox:conversation", args=[slug, conversation_id])
    return redirect(url + _tab_query(_tab(request)))


def _queue_context(request: HttpRequest, tab: str) -> dict:
    return {
        "live_seq": live.current_seq(request.workspace),  # read before the queue: a later push is replayed
        "tab": tab,
        "queue": selectors.queue(workspace=request.workspace, member=request.membership, tab=tab,
                                 cursor=request.GET.get("after")),
        "counts": selectors.queue_counts(workspace=request.workspace, member=request.membership),
    }


@workspace_member_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """The Messages module: the queue, with no conversation open."""
    context = {"nav": "messages", "conversation": None, **_queue_context(request, _tab(request))}
    return render(request, "inbox/inbox.html", context)


@workspace_member_required
@require_GET
def queue_panel(request: HttpRequest, slug: str) -> HttpResponse:
    """The queue panel alone (loaded next to a conversation, on resync and for "Load more")."""
    tab = _tab(request)
    context = _queue_context(request, tab)
    context["current_id"] = request.GET.get("current", "")
    template = "inbox/_queue_rows.html" if request.GET.get("after") else "inbox/_queue.html"
    return render(request, template, context)


def _conversation_context(request: HttpRequest, conversation: Conversation, **extra) -> dict:
    workspace = request.workspace
    tab = _tab(request)
    context = {
        "nav": "messages",
        "tab": tab,
        "tab_query": _tab_query(tab),
        "conversation": conversation,
        "history": selectors.conversation_history(workspace=workspace, conversation=conversation),
        "reply_form": ReplyForm(),
    }
    if conversation.is_open:
        context["members"], context["categories"] = selectors.header_choices(workspace=workspace)
        context["close_form"] = CloseForm(workspace=workspace)
    context.update(extra)
    return context


@workspace_member_required
@require_GET
def conversation(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """One conversation: history, composer, assign and close controls (read-only once closed)."""
    seq = live.current_seq(request.workspace)  # before the reads: a push after it is replayed, never lost
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    if conv.is_open and conv.unread_count:
        mark_read(workspace=request.workspace, conversation_id=conv.pk)
        conv.unread_count = 0
    return render(request, "inbox/inbox.html", _conversation_context(request, conv, live_seq=seq))


@workspace_member_required
@require_GET
def history(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """Messages newer than ?after= (the page resyncs with this after a dropped connection)."""
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    rows = selectors.conversation_messages(workspace=request.workspace, conversation=conv, after_id=after)
    return render(request, "inbox/_messages.html", {"history": rows, "slug": slug})


@workspace_member_required
@require_POST
def read(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """The agent is looking at the conversation as new messages arrive: clear its unread marker."""
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    mark_read(workspace=request.workspace, conversation_id=conv.pk)
    return HttpResponse(status=204)


def _reply_extra_files():
    """Files a feature adds to a reply (the snippets' files, posted as `snippet_attachment` ids).

    Named in settings (PARLEY_REPLY_EXTRA_FILES) because the inbox never imports its feature apps.
    """
    return import_string(settings.PARLEY_REPLY_EXTRA_FILES)


@workspace_member_required
@require_POST
def reply(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """Send a reply (or save an internal note). htmx/fetch get the message partial, forms a redirect."""
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    form = ReplyForm(request.POST)
    error = None
    message = None
    if not form.is_valid():
        error = " ".join(e for errs in form.errors.values() for e in errs)
    else:
        try:
            if form.cleaned_data["note"]:
                message = add_note(workspace=request.workspace, conversation_id=conv.pk,
                                   member=request.membership, body=form.cleaned_data["body"],
                                   with_files=bool(request.FILES or request.POST.getlist("snippet_attachment")))
            else:
                message = send_reply(workspace=request.workspace, conversation_id=conv.pk,
                                     member=request.membership, body=form.cleaned_data["body"],
                                     files=request.FILES.getlist("files"), voice=request.FILES.get("voice"),
                                     extra_files=_reply_extra_files()(
                                         workspace=request.workspace, member=request.membership, conversation=conv,
                                         attachment_ids=request.POST.getlist("snippet_attachment")))
        except InboxError as exc:
            error = str(exc)
    if request.htmx or request.headers.get("X-Requested-With") == "fetch":
        if error:
            return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
        message = selectors.message_for(workspace=request.workspace, message_id=message.pk)
        return render(request, "inbox/_message.html", {"message": message, "slug": slug})
    if error:
        flash.error(request, error)
    return _back_to_conversation(request, slug, conv.pk)


@workspace_member_required
@require_POST
def assign(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    form = AssignForm(request.POST, workspace=request.workspace)
    error = None
    if not form.is_valid():
        error = _("Choose a member of this workspace.")
    else:
        try:
            conv = conversation_assign(workspace=request.workspace, conversation_id=conv.pk,
                                       assignee=form.cleaned_data["assignee"], actor=request.membership)
        except InboxError as exc:
            error = str(exc)
    if request.htmx or request.headers.get("X-Requested-With") == "fetch":
        if error:
            return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
        name = conv.assignee.display_name if conv.assignee else ""
        return HttpResponse(name, content_type="text/plain; charset=utf-8")
    if error:
        flash.error(request, error)
    return _back_to_conversation(request, slug, conv.pk)


@workspace_member_required
def close(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    """GET shows the closing-note form on its own page; POST closes with the note."""
    seq = live.current_seq(request.workspace)
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    if request.method == "GET":
        if not conv.is_open:
            return _back_to_conversation(request, slug, conv.pk)
        return render(request, "inbox/inbox.html", _conversation_context(request, conv, close_open=True,
                                                                         live_seq=seq))
    if request.method != "POST":
        return HttpResponse(status=405)
    form = CloseForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            conversation_close(workspace=request.workspace, conversation_id=conv.pk,
                               category=form.cleaned_data["category"], summary=form.cleaned_data["summary"],
                               actor=request.membership)
        except InboxError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Conversation with %(name)s closed.") % {"name": conv.contact.display_name})
            return redirect(reverse("inbox:queue", args=[slug]) + f"?tab={_tab(request)}")
    seq = live.current_seq(request.workspace)
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    context = _conversation_context(request, conv, close_open=True, live_seq=seq)
    if conv.is_open:
        context["close_form"] = form
    else:
        flash.error(request, " ".join(str(e) for e in form.non_field_errors()))
    return render(request, "inbox/inbox.html", context, status=400)


@workspace_member_required
@require_POST
def retry(request: HttpRequest, slug: str, conversation_id: int, message_id: int) -> HttpResponse:
    conv = selectors.conversation_for(workspace=request.workspace, conversation_id=conversation_id)
    message = selectors.message_for(workspace=request.workspace, message_id=message_id)
    if message.conversation_id != conv.pk:
        raise Http404
    try:
        retry_failed(workspace=request.workspace, message_id=message.pk)
    except InboxError as exc:
        if request.headers.get("X-Requested-With") == "fetch":
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        flash.error(request, str(exc))
    if request.headers.get("X-Requested-With") == "fetch":
        message = selectors.message_for(workspace=request.workspace, message_id=message.pk)
        return render(request, "inbox/_message.html", {"message": message, "slug": slug})
    return _back_to_conversation(request, slug, conv.pk)
