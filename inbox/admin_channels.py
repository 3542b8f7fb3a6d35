"""The channel admin: adding a channel asks its kind first, then shows that kind's form only.

The forms (inbox/admin_channel_forms.py) check credentials with the provider before an active channel
is saved. The change page shows what an admin copies elsewhere, read-only: the inbound URL, the web chat
embed snippet, the account the provider confirmed, and for API channels a hint of the token and secret.
Another workspace's channel answers 404 here, like everywhere else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workspaces.admin_scoping import WorkspaceScopedAdmin

from .admin_channel_forms import CHANNEL_FORMS, ChannelForm, mask_secret
from .models import Channel
from .services.channels import ChannelError, channel_test, inbound_url

# What an admin needs at hand for each kind, shown on the "choose a kind" step.
KIND_NEEDS = {
    "webchat": _("A chat window on your own website: you paste one line of HTML into your pages."),
    "telegram": _("A Telegram bot: you need its token from @BotFather."),
    "whatsapp": _("A WhatsApp Business number on Meta's Cloud API: its phone number ID, an access token and "
                  "your Meta app's secret."),
    "messenger": _("A Facebook page's Messenger inbox: the page ID, a page access token and your Meta app's "
                   "secret."),
    "api": _("Your own system sends and receives messages over HTTP (an inbound token, an outbound webhook)."),
}
KIND_FIELDS = {
    "webchat": ["allowed_origins", "greeting", "ask_name", "ask_email"],
    "telegram": ["bot_token"],
    "whatsapp": ["phone_number_id", "access_token", "app_secret", "verify_token"],
    "messenger": ["page_id", "access_token", "app_secret", "verify_token"],
    "api": ["webhook_url"],
}
KIND_ACCOUNT = {"telegram": ["bot_account"], "whatsapp": ["phone_number_shown"], "messenger": ["page_shown"]}


@admin.register(Channel)
class ChannelAdmin(WorkspaceScopedAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "uuid", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    list_select_related: list[str] = []
    ordering = ["name"]
    readonly_fields = ["kind", "uuid", "inbound_webhook_url", "embed_snippet", "bot_account", "phone_number_shown",
                       "page_shown", "token_hint", "secret_hint"]
    actions = ["connect_or_test"]
    choose_kind_template = "admin/inbox/channel/choose_kind.html"

    class Media:
        css = {"all": ["css/admin_channels.css"]}

    def _kind(self, request, obj: Channel | None = None) -> str | None:
        kind = obj.kind if obj is not None else (request.GET.get("kind") or request.POST.get("kind"))
        return kind if kind in CHANNEL_FORMS else None

    def get_object(self, request, object_id, from_field=None):
        # Not one of the admin's channels (another workspace's, or none at all): 404, not the admin's
        # usual redirect with "perhaps it was deleted?".
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("There is no such channel."))
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CHANNEL_FORMS[self._kind(request, obj) or "api"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        kind = self._kind(request, obj) or "api"
        fieldsets = [
            (None, {"fields": ["workspace", "kind", "name", "is_active"]}),
            (_("Connection"), {"fields": KIND_FIELDS[kind]}),
        ]
        if obj is None:
            return fieldsets
        # Web chat visitors write through the widget (/hooks/webchat/ refuses posts): its entry point is the snippet.
        fieldsets.insert(1, (_("Inbound"), {
            "fields": [*(["embed_snippet"] if kind == "webchat" else ["inbound_webhook_url"]), "uuid"],
        }))
        if kind in KIND_ACCOUNT:
            fieldsets.append((_("Account"), {"fields": KIND_ACCOUNT[kind]}))
        if kind == "api":
            fieldsets.append((_("Credentials"), {
                "fields": ["token_hint", "new_token", "regenerate_token", "secret_hint", "new_secret",
                           "regenerate_secret"],
                "description": _("Credentials are write-only: only their last characters are shown."),
            }))
        return fieldsets

    def add_view(self, request, form_url="", extra_context=None):
        kind = self._kind(request)
        if kind is None:
            return self.choose_kind_view(request)
        label = Channel.Kind(kind).label
        extra_context = {"title": gettext("Add a %(kind)s channel") % {"kind": label}, **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def choose_kind_view(self, request):
        """The first step of adding a channel: one link per kind, with what each one needs."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        add_url = reverse("admin:inbox_channel_add", current_app=self.admin_site.name)
        kept = {key: value for key, value in request.GET.items() if key == "_changelist_filters"}
        kinds = [{"kind": kind, "label": Channel.Kind(kind).label, "needs": KIND_NEEDS[kind],
                  "url": f"{add_url}?{urlencode({'kind': kind, **kept})}"} for kind in CHANNEL_FORMS]
        context = {**self.admin_site.each_context(request), "opts": self.opts, "kinds": kinds,
                   "title": gettext("What kind of channel do you want to add?"), "media": self.media,
                   "has_view_permission": self.has_view_permission(request)}
        return TemplateResponse(request, self.choose_kind_template, context)

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
        hint = {
            "telegram": _("Registered with Telegram for you on every save."),
            "whatsapp": _("Paste it, with your verify token, in your Meta app's WhatsApp webhook settings."),
            "messenger": _("Paste it, with your verify token, in your Meta app's Messenger webhook settings."),
            "api": _("Your system posts inbound messages here, with the inbound token as a Bearer token."),
        }.get(obj.kind, "")
        return format_html('<code class="channel-copy">{}</code><br><span class="help">{}</span>',
                           inbound_url(obj), hint)

    @admin.display(description=_("embed snippet"))
    def embed_snippet(self, obj: Channel) -> str:
        if obj is None or obj.pk is None:
            return _("Shown after saving.")
        script = settings.PUBLIC_BASE_URL + reverse("widget:script", args=[obj.uuid])
        return format_html('<code class="channel-copy">{}</code><br><span class="help">{}</span>',
                           f'<script src="{script}" async></script>',
                           _("Paste it into every page of your site that should show the chat."))

    @admin.display(description=_("bot"))
    def bot_account(self, obj: Channel) -> str:
        username = (obj.config or {}).get("bot_username") if obj is not None else ""
        return f"@{username}" if username else _("Not checked with Telegram yet.")

    @admin.display(description=_("phone number"))
    def phone_number_shown(self, obj: Channel) -> str:
        return (obj.config or {}).get("display_phone_number") or _("Not checked with WhatsApp yet.")

    @admin.display(description=_("page"))
    def page_shown(self, obj: Channel) -> str:
        return (obj.config or {}).get("page_name") or _("Not checked with Messenger yet.")

    @admin.display(description=_("inbound token"))
    def token_hint(self, obj: Channel) -> str:
        return mask_secret(obj.token) if obj is not None and obj.pk else "—"

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: Channel) -> str:
        return mask_secret(obj.secret) if obj is not None and obj.pk else "—"
