"""Admin for closing categories and (read-mostly) conversations, messages and closing notes; channels are
in admin_channels.py (one form per kind, checked with the provider).

Every class here builds on workspaces.admin_scoping, so a workspace admin only ever sees and picks
rows of their own workspaces.
"""

from __future__ import annotations

from django.contrib import admin, messages

from workspaces.admin import WorkspaceAdmin
from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline
from workspaces.models import Membership, Workspace

from .admin_channel_forms import mask_secret
from .admin_channels import ChannelAdmin
from .errors import InboxError
from .models import Attachment, ClosingCategory, ClosingNote, Conversation, Message
from .services.assignment import conversation_assign
from .services.setup import workspace_ensure_defaults

__all__ = ["ChannelAdmin", "mask_secret"]


@admin.register(ClosingCategory)
class ClosingCategoryAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "position", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    list_select_related: list[str] = []
    ordering = ["position", "name"]
    fields = ["workspace", "name", "position", "is_active"]


class _ReadOnlyMixin:
    """View-only rows: they are written by the inbox's services, not by hand."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttachmentInline(_ReadOnlyMixin, WorkspaceScopedInline):
    model = Attachment
    fields = ["name", "content_type", "size", "duration", "created_at"]
    readonly_fields = fields


class ClosingNoteInline(_ReadOnlyMixin, WorkspaceScopedInline):
    model = ClosingNote
    fields = ["category", "summary", "author", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "author__user")


CONVERSATION_FIELDS = [
    "workspace", "contact", "channel", "status", "assignee", "opened_at", "closed_at", "last_activity_at",
    "last_message_preview", "unread_count",
]


@admin.register(Conversation)
class ConversationAdmin(WorkspaceScopedAdmin):
    """Readable; only the assignee can be changed here (through the assignment service)."""

    list_display = ["__str__", "contact", "channel", "status", "assignee", "last_activity_at"]
    list_select_related = ["contact", "channel", "assignee__user"]
    list_filter = ["status", "channel", "assignee"]
    search_fields = ["contact__name", "contact__phone", "contact__email"]
    ordering = ["-last_activity_at", "-id"]
    show_full_result_count = False
    fields = CONVERSATION_FIELDS
    inlines = [ClosingNoteInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_open:
            return [name for name in CONVERSATION_FIELDS if name != "assignee"]
        return list(CONVERSATION_FIELDS)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "assignee" and field is not None:
            field.queryset = field.queryset.select_related("user")
        return field

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change or "assignee" not in form.changed_data:
            return
        actor = Membership.objects.for_workspace(obj.workspace_id).filter(user=request.user).first()
        try:
            conversation_assign(
                workspace=obj.workspace, conversation_id=obj.pk, assignee=obj.assignee, actor=actor
            )
        except InboxError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)


@admin.register(Message)
class MessageAdmin(_ReadOnlyMixin, WorkspaceScopedAdmin):
    list_display = ["__str__", "conversation", "direction", "kind", "sender_type", "status", "created_at"]
    list_select_related = ["conversation"]
    list_filter = ["direction", "kind", "status"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    inlines = [AttachmentInline]
    fields = [
        "workspace", "conversation", "channel", "direction", "kind", "sender_type", "sender", "body",
        "status", "failure_reason", "external_id", "attempts", "created_at", "status_changed_at",
    ]


@admin.register(ClosingNote)
class ClosingNoteAdmin(_ReadOnlyMixin, WorkspaceScopedAdmin):
    list_display = ["conversation", "category", "author", "created_at"]
    list_select_related = ["conversation", "category", "author__user"]
    list_filter = ["category"]
    search_fields = ["summary"]
    ordering = ["-created_at", "-id"]
    fields = ["workspace", "conversation", "category", "summary", "author", "created_at"]


# A workspace made in the admin starts with the default closing categories: without any, nobody could
# close a conversation there. The inbox owns categories, so it extends the workspace admin (workspaces
# never imports inbox).
admin.site.unregister(Workspace)


@admin.register(Workspace)
class WorkspaceWithDefaultsAdmin(WorkspaceAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            workspace_ensure_defaults(workspace=obj)
