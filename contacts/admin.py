"""Admin for contacts and their channel identities, scoped to the admin's workspaces."""

from __future__ import annotations

from django.contrib import admin

from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline

from .models import Contact, ContactIdentity


class ContactIdentityInline(WorkspaceScopedInline):
    """(channel, external id) rows: always in the contact's workspace, channels of that workspace only."""

    model = ContactIdentity
    fields = ["channel", "external_id", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


@admin.register(Contact)
class ContactAdmin(WorkspaceScopedAdmin):
    list_display = ["__str__", "phone", "email", "created_at"]
    list_select_related: list[str] = []
    search_fields = ["name", "phone", "email", "identities__external_id"]
    ordering = ["name", "id"]
    show_full_result_count = False
    fields = ["workspace", "name", "phone", "email"]
    inlines = [ContactIdentityInline]
