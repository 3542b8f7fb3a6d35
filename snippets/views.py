"""Snippet endpoints for the composer (search, render) and the members' page of personal snippets."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from workspaces.access import workspace_member_required

from . import selectors, services
from .errors import SnippetError
from .forms import PersonalSnippetForm
from .models import Snippet


def _json(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"  # rendered text carries the contact's details
    return response


# -- the composer --------------------------------------------------------------------------------------------


@workspace_member_required
@require_GET
def search(request: HttpRequest, slug: str) -> JsonResponse:
    """[{id, name, shortcut, preview, personal}]: the workspace's snippets and the member's own."""
    hits = selectors.search_snippets(workspace=request.workspace, member=request.membership,
                                     query=request.GET.get("q", ""))
    return _json([hit.as_dict() for hit in hits])


@workspace_member_required
@require_GET
def render_snippet(request: HttpRequest, slug: str, snippet_id: int) -> JsonResponse:
    """{text, warnings: [{code, variable, message}], attachments: [{id, name, size, content_type}]}."""
    try:
        conversation_id = int(request.GET.get("conversation", ""))
    except ValueError:
        return _json({"error": _("Say which conversation the snippet is for."), "field": "conversation"}, 400)
    rendered = selectors.render_for_conversation(workspace=request.workspace, member=request.membership,
                                                 snippet_id=snippet_id, conversation_id=conversation_id)
    return _json(rendered.as_dict())


@workspace_member_required
@require_GET
def attachment(request: HttpRequest, slug: str, snippetattachment_id: int) -> FileResponse:
    """A snippet's file, for members who may use the snippet: always a download, never rendered."""
    item = selectors.attachment_for(workspace=request.workspace, member=request.membership,
                                    attachment_id=snippetattachment_id)
    if not item.file:
        raise Http404
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# -- the members' page ---------------------------------------------------------------------------------------


@workspace_member_required
@require_GET
def snippet_list(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.snippets_page(workspace=request.workspace, member=request.membership)
    return render(request, "snippets/list.html", {"nav": "snippets", "page": page})


def _form_page(request: HttpRequest, form: PersonalSnippetForm, shortcut: str | None) -> HttpResponse:
    """The form again; `shortcut` is the stored one (a failed form has changed the instance in memory)."""
    status = 400 if request.method == "POST" else 200
    return render(request, "snippets/form.html", {"nav": "snippets", "form": form, "shortcut": shortcut},
                  status=status)


def _uploads(form: PersonalSnippetForm) -> list:
    upload = form.cleaned_data.get("file")
    return [upload] if upload else []


@workspace_member_required
@require_http_methods(["GET", "POST"])
def snippet_create(request: HttpRequest, slug: str) -> HttpResponse:
    instance = Snippet(workspace=request.workspace, owner=request.membership)
    form = PersonalSnippetForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            snippet = services.snippet_create(
                workspace=request.workspace, member=request.membership, name=form.cleaned_data["name"],
                shortcut=form.cleaned_data["shortcut"], body=form.cleaned_data["body"], files=_uploads(form),
            )
        except SnippetError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Snippet /%(shortcut)s saved.") % {"shortcut": snippet.shortcut})
            return redirect("snippets:list", slug=slug)
    return _form_page(request, form, None)


@workspace_member_required
@require_http_methods(["GET", "POST"])
def snippet_edit(request: HttpRequest, slug: str, snippet_id: int) -> HttpResponse:
    snippet = selectors.own_snippet_for(workspace=request.workspace, member=request.membership,
                                        snippet_id=snippet_id)
    stored_shortcut = snippet.shortcut
    form = PersonalSnippetForm(request.POST or None, request.FILES or None, instance=snippet)
    if request.method == "POST" and form.is_valid():
        try:
            snippet = services.snippet_update(
                workspace=request.workspace, member=request.membership, snippet_id=snippet.pk,
                name=form.cleaned_data["name"], shortcut=form.cleaned_data["shortcut"],
                body=form.cleaned_data["body"], files=_uploads(form),
                remove_ids=form.cleaned_data.get("remove") or [],
            )
        except SnippetError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Snippet /%(shortcut)s saved.") % {"shortcut": snippet.shortcut})
            return redirect("snippets:list", slug=slug)
    return _form_page(request, form, stored_shortcut)


@workspace_member_required
@require_http_methods(["GET", "POST"])
def snippet_delete(request: HttpRequest, slug: str, snippet_id: int) -> HttpResponse:
    """GET asks to confirm; POST deletes one of the member's own snippets."""
    snippet = selectors.own_snippet_for(workspace=request.workspace, member=request.membership,
                                        snippet_id=snippet_id)
    if request.method == "GET":
        return render(request, "snippets/confirm_delete.html", {"nav": "snippets", "snippet": snippet})
    services.snippet_delete(workspace=request.workspace, member=request.membership, snippet_id=snippet.pk)
    flash.success(request, _("Snippet /%(shortcut)s deleted.") % {"shortcut": snippet.shortcut})
    return redirect("snippets:list", slug=slug)
