"""The Contacts module: search, and each contact with every past conversation and closing note."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

from workspaces.access import workspace_member_required

from . import selectors


@workspace_member_required
@require_GET
def contact_list(request: HttpRequest, slug: str) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    try:
        before = int(request.GET.get("before", "")) or None
    except ValueError:
        before = None
    page = selectors.search_contacts(workspace=request.workspace, query=query, before_id=before)
    return render(request, "contacts/list.html", {"nav": "contacts", "page": page, "q": query})


@workspace_member_required
@require_GET
def contact_detail(request: HttpRequest, slug: str, contact_id: int) -> HttpResponse:
    contact = selectors.contact_for(workspace=request.workspace, contact_id=contact_id)
    conversations = selectors.contact_conversations(workspace=request.workspace, contact=contact)
    sections = [section for path in settings.PARLEY_CONTACT_SECTIONS
                if (section := import_string(path)(workspace=request.workspace, contact=contact))]
    return render(request, "contacts/detail.html",
                  {"nav": "contacts", "contact": contact, "conversations": conversations, "sections": sections})
