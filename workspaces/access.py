"""How a request finds its workspace: the member-only view decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from .models import Membership
from .selectors import membership_for


def workspace_member_required(view: Callable | None = None, *, review: bool = False, admin: bool = False):
    """Resolve the `slug` URL argument to the caller's membership.

    Sets request.workspace and request.membership. Anonymous visitors go to the login page;
    a signed-in non-member gets 404 (no hint that the workspace exists). `review=True` also
    requires supervisor or admin; `admin=True` requires admin (403 for other members).
    """

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for(user=request.user, slug=slug)
            if membership is None:
                raise Http404("No such workspace.")
            if review and not membership.can_review:
                raise PermissionDenied
            if admin and membership.role != Membership.Role.ADMIN:
                raise PermissionDenied
            request.membership = membership
            request.workspace = membership.workspace
            return func(request, slug, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
