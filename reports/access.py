"""Who sees the review and report pages: supervisors and admins; agents see Review only where the workspace
allows it (Workspace.settings["agents_can_review"], a checkbox in the workspace's admin)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from workspaces.access import workspace_member_required
from workspaces.models import Membership, Workspace

AGENTS_CAN_REVIEW = "agents_can_review"  # the workspace admin's checkbox (workspaces.admin_hours) writes it


def agents_can_review(workspace: Workspace) -> bool:
    return bool((workspace.settings or {}).get(AGENTS_CAN_REVIEW))


def can_see_review(membership: Membership) -> bool:
    return membership.can_review or agents_can_review(membership.workspace)


def review_required(view: Callable) -> Callable:
    """A member who may see the review pages (else 403); a non-member gets 404, a visitor the login page."""

    @workspace_member_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        if not can_see_review(request.membership):
            raise PermissionDenied
        return view(request, slug, *args, **kwargs)

    return wrapper
