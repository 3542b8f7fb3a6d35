"""The member's own availability: "Set yourself away" / "I'm available" (a form in the sidebar)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from workspaces.access import workspace_member_required

from . import presence


@workspace_member_required
@require_POST
def set_away(request: HttpRequest, slug: str) -> HttpResponse:
    """POST away=1 (away) or away=0 (available); back to the page the form was on."""
    presence.set_away(workspace=request.workspace, membership=request.membership,
                      away=request.POST.get("away") == "1")
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = reverse("inbox:queue", args=[slug])
    return redirect(nxt)
