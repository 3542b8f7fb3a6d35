"""Django's admin, with Parley's workspace-aware site as the default site."""

from django.contrib.admin.apps import AdminConfig


class ParleyAdminConfig(AdminConfig):
    default_site = "workspaces.admin_site.ParleyAdminSite"
