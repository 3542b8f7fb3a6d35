"""The channel admin's forms: one per kind, holding only that kind's fields.

Each form hands its values to inbox.services.channels.channel_configure, the same check `manage.py
connect_channel` runs: the provider confirms the credentials (Telegram getMe + setWebhook, a Graph GET
for WhatsApp / Messenger) before an active channel is saved, and a refusal becomes an error on the field
at fault. Credentials are write-only: password inputs that never render a value; on an edit, leaving one
empty keeps the stored value.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connectors.origins import normalize_origin
from kernel.text import clean_line
from workspaces.admin_scoping import WorkspaceConsistentForm

from .models import Channel
from .services.channels import CREDENTIALS, REQUIRED, ChannelError, channel_configure, channel_options

MASK = "••••"


def mask_secret(value: str | None) -> str:
    """A hint that identifies a credential without revealing it: "••••abcd" (short values: "••••")."""
    if not value:
        return "—"
    return MASK + value[-4:] if len(value) >= 16 else MASK


def credential_field(label: str, help_text: str, *, min_length: int | None = None) -> forms.CharField:
    """A write-only input: the browser never receives the stored value, not even masked."""
    return forms.CharField(
        label=label, required=True, strip=True, min_length=min_length, max_length=200, help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "vTextField"}),
    )


def text_field(label: str, help_text: str, *, required: bool = True, max_length: int = 64) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=max_length,
                           widget=forms.TextInput(attrs={"class": "vTextField"}))


class ChannelForm(WorkspaceConsistentForm):
    """What every kind shares (workspace, name, active) and the hand-over to channel_configure."""

    kind: ClassVar[str] = ""
    # form field → channel_connect option (the names `manage.py connect_channel` takes, without "--")
    option_fields: ClassVar[dict[str, str]] = {}

    class Meta:
        model = Channel
        fields = ["workspace", "name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.kind = self.kind
        stored = channel_options(self.instance) if self.instance.pk else {}
        for name, option in self.option_fields.items():
            field = self.fields.get(name)
            if field is None:
                continue
            if option in CREDENTIALS:
                field.required = option in REQUIRED[self.kind] and not stored.get(option)
                if stored.get(option):
                    field.help_text = _("Stored (%(hint)s). Leave empty to keep it; it is never shown again.") % {
                        "hint": mask_secret(stored[option])}
            elif option in stored:
                self.initial.setdefault(name, self.initial_for(option, stored[option]))

    def initial_for(self, option: str, value: Any) -> Any:
        return value

    def clean_name(self) -> str:
        return clean_line(self.cleaned_data.get("name"), limit=200)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned  # the provider is asked only about an otherwise valid form
        workspace = cleaned.get("workspace") if "workspace" in self.fields else self.instance.workspace
        if workspace is None:
            return cleaned
        self.instance.workspace = workspace
        options = {option: cleaned.get(name) for name, option in self.option_fields.items()
                   if name in cleaned and not (option in CREDENTIALS and not cleaned.get(name))}
        try:
            # An inactive channel is not checked with the provider: that is how a broken one is switched off.
            channel_configure(workspace=workspace, channel=self.instance, options=options,
                              verify=bool(cleaned.get("is_active")))
        except ChannelError as exc:
            field = next((name for name, option in self.option_fields.items() if option == exc.field), None)
            self.add_error(field if field in self.fields else None, str(exc))
        return cleaned


class WebchatChannelForm(ChannelForm):
    kind = "webchat"
    option_fields = {"allowed_origins": "allowed_origin", "greeting": "greeting", "ask_name": "ask_name",
                     "ask_email": "ask_email"}

    allowed_origins = forms.CharField(
        label=_("Allowed origins"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One site per line, like https://shop.example.com. The widget refuses to load elsewhere."),
    )
    greeting = text_field(_("Greeting"), _("The first line visitors read when they open the chat."), required=False,
                          max_length=500)
    ask_name = forms.BooleanField(label=_("Ask the visitor's name"), required=False, initial=True)
    ask_email = forms.BooleanField(label=_("Ask the visitor's email"), required=False)

    def initial_for(self, option: str, value: Any) -> Any:
        return "\n".join(value) if option == "allowed_origin" else value

    def clean_allowed_origins(self) -> list[str]:
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


class TelegramChannelForm(ChannelForm):
    kind = "telegram"
    option_fields = {"bot_token": "token"}

    bot_token = credential_field(
        _("Bot token"), _("From @BotFather (it looks like 123456789:AAHdq…). Parley checks it with Telegram and "
                          "registers its webhook when you save."))


class _MetaChannelForm(ChannelForm):
    app_secret = credential_field(
        _("App secret"), _("From your Meta app's basic settings: it proves that webhooks come from Meta."))
    verify_token = credential_field(
        _("Verify token"), _("Any phrase you choose; type the same one in your Meta app's webhook settings, "
                             "next to the inbound URL shown after saving."))


class WhatsAppChannelForm(_MetaChannelForm):
    kind = "whatsapp"
    option_fields = {"phone_number_id": "phone_number_id", "access_token": "access_token",
                     "app_secret": "app_secret", "verify_token": "verify_token"}

    phone_number_id = text_field(
        _("Phone number ID"), _("In WhatsApp Manager → API setup: the ID of the phone number, not the number itself."))
    access_token = credential_field(
        _("Access token"), _("A permanent token of a system user with the whatsapp_business_messaging permission. "
                             "Parley checks it with Meta when you save."))


class MessengerChannelForm(_MetaChannelForm):
    kind = "messenger"
    option_fields = {"page_id": "page_id", "access_token": "access_token", "app_secret": "app_secret",
                     "verify_token": "verify_token"}

    page_id = text_field(_("Page ID"), _("The ID of the Facebook page, from the page's About section."))
    access_token = credential_field(
        _("Access token"), _("The page's access token, with the pages_messaging permission. Parley checks it with "
                             "Meta when you save."))


class ApiChannelForm(ChannelForm):
    """The API channel: an outbound webhook URL, and the inbound token / signing secret Parley generates."""

    kind = "api"
    option_fields = {"webhook_url": "webhook_url"}

    webhook_url = forms.CharField(
        label=_("Outbound webhook URL"), required=False, max_length=500,
        widget=forms.TextInput(attrs={"class": "vURLField", "inputmode": "url"}),
        help_text=_("Where Parley posts the messages agents send (a public http(s) address). Empty: inbound only."))
    new_token = forms.CharField(
        label=_("New inbound token"), required=False, strip=True, min_length=16, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "vTextField"}),
        help_text=_("Leave empty to keep the current value. It is never shown again after saving."))
    regenerate_token = forms.BooleanField(label=_("Generate a new inbound token"), required=False)
    new_secret = forms.CharField(
        label=_("New signing secret"), required=False, strip=True, min_length=16, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "vTextField"}),
        help_text=_("Leave empty to keep the current value. It is never shown again after saving."))
    regenerate_secret = forms.BooleanField(label=_("Generate a new signing secret"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:  # a new channel gets both generated, shown once after saving
            for name in ("new_token", "regenerate_token", "new_secret", "regenerate_secret"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        for name in ("token", "secret"):
            if cleaned.get(f"new_{name}") and cleaned.get(f"regenerate_{name}"):
                self.add_error(f"new_{name}", _("Either type a new value or generate one, not both."))
        return cleaned

    def save(self, commit=True):
        # A generated credential is shown once by ChannelAdmin.save_model; a typed one never is.
        self.generated: dict[str, str] = {}
        for name in ("token", "secret"):
            typed = self.cleaned_data.get(f"new_{name}")
            if self.cleaned_data.get(f"regenerate_{name}") or (self.instance.pk is None and not typed):
                value = Channel._meta.get_field(name).get_default()
                setattr(self.instance, name, value)
                self.generated[name] = value
            elif typed:
                setattr(self.instance, name, typed)
        return super().save(commit=commit)


CHANNEL_FORMS: dict[str, type[ChannelForm]] = {
    form.kind: form for form in (WebchatChannelForm, TelegramChannelForm, WhatsAppChannelForm,
                                 MessengerChannelForm, ApiChannelForm)
}
