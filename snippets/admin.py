"""Workspace snippets in the (workspace-scoped) admin, with their files inline.

Admins manage the workspace's shared snippets here; members' personal snippets are theirs alone
(the members' page) and do not show up. Files are uploaded through a plain file input: the type is
sniffed from the bytes and the file is stored under a random name; the admin never links to storage.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline

from .forms import SnippetAdminForm, SnippetAttachmentAdminForm
from .models import Snippet, SnippetAttachment


class SnippetAttachmentInline(WorkspaceScopedInline):
    model = SnippetAttachment
    form = SnippetAttachmentAdminForm
    fields = ["upload", "name", "content_type", "file_size"]
    readonly_fields = ["content_type", "file_size"]
    verbose_name = _("file")
    verbose_name_plural = _("files (sent with the snippet's text)")

    @admin.display(description=_("size"))
    def file_size(self, obj: SnippetAttachment) -> str:
        return filesizeformat(obj.size) if obj and obj.pk else "—"


@admin.register(Snippet)
class SnippetAdmin(WorkspaceScopedAdmin):
    form = SnippetAdminForm
    list_display = ["shortcut_label", "name", "file_count", "updated_at"]
    list_display_links = ["shortcut_label", "name"]
    search_fields = ["shortcut", "name", "body"]
    list_select_related: list[str] = []
    ordering = ["shortcut"]
    fields = ["workspace", "name", "shortcut", "body"]
    inlines = [SnippetAttachmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).shared().annotate(_file_count=Count("attachments"))

    @admin.display(description=_("shortcut"), ordering="shortcut")
    def shortcut_label(self, obj: Snippet) -> str:
        return f"/{obj.shortcut}"

    @admin.display(description=_("files"), ordering="_file_count")
    def file_count(self, obj: Snippet) -> int:
        return obj._file_count

    def save_model(self, request, obj, form, change):
        obj.owner = None  # the admin manages workspace snippets only
        super().save_model(request, obj, form, change)
