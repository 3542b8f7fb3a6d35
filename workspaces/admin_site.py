"""The admin site: superusers, and admins of at least one workspace (who see only their rows)."""

import functools

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .selectors import admin_workspace_ids
from .views import logout_view


class ParleyAdminSite(AdminSite):
    site_header = "Parley admin"
    site_title = "Parley admin"

    def login(self, request, extra_context=None):
        """Workspace admins are not Django "staff": everyone signs in through Parley's own page.

        `next` is followed only when it points at this site. A signed-in member who may not use the admin
        gets the 403 page: sending them to the login page would bounce them straight back here, forever.
        """
        target = self._same_site_next(request)
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return redirect(target)
        return redirect_to_login(target)

    def logout(self, request, extra_context=None):
        """The admin's "Log out" is Parley's: the session ends and its live sockets close."""
        return logout_view(request)

    def password_change(self, request, extra_context=None):
        """One password form for everyone: Parley's also signs out the other sessions and closes their sockets."""
        return redirect("password_change")

    def admin_view(self, view, cacheable=False):
        """A signed-in person who may not use the admin gets the 403 page at once (no detour via login)."""
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return guarded

    def _same_site_next(self, request) -> str:
        target = request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
            return target
        return reverse("admin:index", current_app=self.name)

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        return user.is_superuser or bool(workspace_ids_for_admin(request))


def workspace_ids_for_admin(request) -> list[int]:
    """The workspaces this request may administer, cached on the request."""
    if not hasattr(request, "_parley_admin_workspace_ids"):
        request._parley_admin_workspace_ids = (
            admin_workspace_ids(user=request.user) if request.user.is_authenticated else []
        )
    return request._parley_admin_workspace_ids
