"""The admin site: superusers, and admins of at least one workspace (who see only their rows)."""

from django.contrib.admin import AdminSite


class ParleyAdminSite(AdminSite):
    site_header = "Parley admin"
    site_title = "Parley admin"

    def login(self, request, extra_context=None):
        """Workspace admins are not Django "staff": everyone signs in through Parley's own page."""
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import redirect
        from django.urls import reverse

        if request.user.is_authenticated and self.has_permission(request):
            return redirect(request.GET.get("next") or reverse("admin:index"))
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        return user.is_superuser or bool(workspace_ids_for_admin(request))


def workspace_ids_for_admin(request) -> list[int]:
    """The workspaces this request may administer, cached on the request."""
    from .selectors import admin_workspace_ids

    if not hasattr(request, "_parley_admin_workspace_ids"):
        request._parley_admin_workspace_ids = (
            admin_workspace_ids(user=request.user) if request.user.is_authenticated else []
        )
    return request._parley_admin_workspace_ids
