"""The admin site: superusers, and admins of at least one workspace (who see only their rows)."""

from django.contrib.admin import AdminSite


class ParleyAdminSite(AdminSite):
    site_header = "Parley admin"
    site_title = "Parley admin"

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
