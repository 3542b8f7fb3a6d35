"""Admin for channels, closing categories, and (read-mostly) conversations, messages and closing notes.

Every class here builds on workspaces.admin_scoping, so a workspace admin only ever sees and picks
rows of their own workspaces. Channel credentials (`token`, `secret`, and secret-looking keys in
`config`) are write-only: the admin shows a masked hint and offers fields to set or regenerate them.
"""

from __future__ import annotations

import copy

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from workspaces.admin_scoping import WorkspaceConsistentForm, WorkspaceScopedAdmin, WorkspaceScopedInline
from workspaces.models import Membership

from .models import Attachment, Channel, ClosingCategory, ClosingNote, Conversation, Message

MASK = "••••"
SECRET_KEY_PARTS = ("token", "secret", "password", "key", "credential")
_MISSING = object()


def mask_secret(value: str | None) -> str:
    """A hint that identifies a credential without revealing it: "••••abcd" (short values: "••••")."""
    if not value:
        return "—"
    return MASK + value[-4:] if len(value) >= 16 else MASK


def _is_secret_key(key) -> bool:
    return isinstance(key, str) and any(part in key.lower() for part in SECRET_KEY_PARTS)


def mask_config(value, secret: bool = False):
    """A copy of a channel's settings with every string under a secret-looking key masked."""
    if isinstance(value, dict):
        return {k: mask_config(v, secret or _is_secret_key(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_config(v, secret) for v in value]
    if secret and isinstance(value, str) and value:
        return mask_secret(value)
    return value


def unmask_config(new, old, secret: bool = False):
    """Submitted settings, with each still-masked secret replaced by the stored value it stands for."""
    if isinstance(new, dict):
        old_dict = old if isinstance(old, dict) else {}
        return {k: unmask_config(v, old_dict.get(k, _MISSING), secret or _is_secret_key(k)) for k, v in new.items()}
    if isinstance(new, list):
        if isinstance(old, list) and len(old) == len(new):
            return [unmask_config(n, o, secret) for n, o in zip(new, old, strict=True)]
        return [unmask_config(n, _MISSING, secret) for n in new]
    if secret and isinstance(new, str) and isinstance(old, str) and old and new == mask_secret(old):
        return old
    return new


def _credential_fields(label_new: str, label_regenerate: str):
    new = forms.CharField(
        label=label_new, required=False, strip=True, min_length=16, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current value. It is never shown again after saving."),
    )
    regenerate = forms.BooleanField(label=label_regenerate, required=False)
    return new, regenerate


class ChannelAdminForm(WorkspaceConsistentForm):
    new_token, regenerate_token = _credential_fields(_("New inbound token"), _("Generate a new inbound token"))
    new_secret, regenerate_secret = _credential_fields(
        _("New signing secret"), _("Generate a new signing secret")
    )
    # Web chat settings, kept in Channel.config (other kinds ignore them).
    allowed_origins = forms.CharField(
        label=_("Allowed origins (web chat)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One site per line, like https://shop.example.com. The widget refuses to load elsewhere."),
    )
    greeting = forms.CharField(label=_("Greeting (web chat)"), required=False, max_length=500)
    ask_name = forms.BooleanField(label=_("Ask the visitor's name (web chat)"), required=False)
    ask_email = forms.BooleanField(label=_("Ask the visitor's email (web chat)"), required=False)

    class Meta:
        model = Channel
        exclude = ["token", "secret"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_config = copy.deepcopy(self.instance.config) if self.instance.pk else {}
        if "config" in self.fields:
            self.initial["config"] = mask_config(self._stored_config)
        stored = self._stored_config if isinstance(self._stored_config, dict) else {}
        self.initial.setdefault("allowed_origins", "\n".join(stored.get("allowed_origins") or []))
        self.initial.setdefault("greeting", stored.get("greeting", ""))
        self.initial.setdefault("ask_name", bool(stored.get("ask_name")))
        self.initial.setdefault("ask_email", bool(stored.get("ask_email")))

    def clean_allowed_origins(self) -> list[str]:
        from inbox.services.webchat import normalize_origin

        origins = []
        for line in (self.cleaned_data.get("allowed_origins") or "").splitlines():
            if not line.strip():
                continue
            origin = normalize_origin(line)
            if not origin:
                raise ValidationError(_("“%(line)s” is not a site address like https://shop.example.com.")
                                      % {"line": line.strip()[:80]})
            origins.append(origin)
        return origins

    def clean_config(self):
        value = self.cleaned_data.get("config")
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("Enter a JSON object."))
        return unmask_config(value, self._stored_config)

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url") or ""
        if url:
            from inbox.connectors.base import SendError, TransientSendError
            from inbox.connectors.http import check_public_url

            try:
                check_public_url(url)
            except TransientSendError:
                pass  # unresolvable right now: checked again before every call
            except SendError as exc:
                raise ValidationError(str(exc)) from exc
        return url

    def clean(self):
        cleaned = super().clean()
        for name in ("token", "secret"):
            if cleaned.get(f"new_{name}") and cleaned.get(f"regenerate_{name}"):
                self.add_error(f"new_{name}", _("Either type a new value or generate one, not both."))
        return cleaned

    def save(self, commit=True):
        self.generated: dict[str, str] = {}
        for name in ("token", "secret"):
            if self.cleaned_data.get(f"regenerate_{name}") or (not self.instance.pk and not self.cleaned_data.get(
                    f"new_{name}")):
                value = Channel._meta.get_field(name).get_default()
                setattr(self.instance, name, value)
                self.generated[name] = value
            elif self.cleaned_data.get(f"new_{name}"):
                setattr(self.instance, name, self.cleaned_data[f"new_{name}"])
        if self.cleaned_data.get("kind") == "webchat" or self.instance.kind == "webchat":
            config = dict(self.instance.config or {})
            config.update({"allowed_origins": self.cleaned_data.get("allowed_origins") or [],
                           "greeting": self.cleaned_data.get("greeting") or "",
                           "ask_name": bool(self.cleaned_data.get("ask_name")),
                           "ask_email": bool(self.cleaned_data.get("ask_email"))})
            self.instance.config = config
        return super().save(commit=commit)


@admin.register(Channel)
class ChannelAdmin(WorkspaceScopedAdmin):
    form = ChannelAdminForm
    list_display = ["name", "kind", "uuid", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    list_select_related: list[str] = []
    ordering = ["name"]
    readonly_fields = ["uuid", "inbound_webhook_url", "token_hint", "secret_hint"]
    fieldsets = [
        (None, {"fields": ["workspace", "kind", "name", "is_active"]}),
        (_("Inbound"), {"fields": ["uuid", "inbound_webhook_url"]}),
        (_("Credentials"), {
            "fields": ["token_hint", "new_token", "regenerate_token", "secret_hint", "new_secret",
                       "regenerate_secret"],
            "description": _("Credentials are write-only: only their last characters are shown."),
        }),
        (_("Outbound"), {"fields": ["webhook_url", "config"]}),
        (_("Web chat"), {"fields": ["allowed_origins", "greeting", "ask_name", "ask_email"]}),
    ]
    actions = ["connect_or_test"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A generated credential is shown exactly once, here; afterwards only its last characters.
        labels = {"token": _("inbound token"), "secret": _("signing secret")}
        for name, value in getattr(form, "generated", {}).items():
            self.message_user(
                request, _("New %(what)s for %(channel)s (copy it now, it is not shown again): %(value)s")
                % {"what": labels[name], "channel": obj.name, "value": value}, level=messages.WARNING,
            )

    @admin.action(description=_("Connect / test the selected channels"))
    def connect_or_test(self, request, queryset):
        from inbox.services.channels import ChannelError, channel_test

        for channel in queryset.select_related("workspace"):
            try:
                result = channel_test(workspace=channel.workspace, channel=channel)
            except ChannelError as exc:
                self.message_user(request, f"{channel.name}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, f"{channel.name}: {result}", level=messages.SUCCESS)

    @admin.display(description=_("inbound webhook URL"))
    def inbound_webhook_url(self, obj: Channel) -> str:
        if obj is None or obj.pk is None:
            return _("Shown after saving.")
        return f"{settings.PUBLIC_BASE_URL}/hooks/{obj.kind}/{obj.uuid}/"

    @admin.display(description=_("inbound token"))
    def token_hint(self, obj: Channel) -> str:
        return mask_secret(obj.token) if obj is not None and obj.pk else "—"

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: Channel) -> str:
        return mask_secret(obj.secret) if obj is not None and obj.pk else "—"


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
        from inbox.errors import InboxError
        from inbox.services.assignment import conversation_assign

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
