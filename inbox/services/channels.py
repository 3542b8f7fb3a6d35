"""Connecting channels: validate credentials with the provider, register webhooks, and test a connection."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from connectors import meta, telegram
from connectors.base import SendError, TransientSendError
from connectors.http import check_public_url
from connectors.origins import normalize_origin
from inbox.errors import InboxError
from inbox.models import Channel
from kernel.text import clean_line
from workspaces.models import Workspace

TELEGRAM_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook's secret_token allows
TELEGRAM_UPDATES = ["message", "edited_message"]

# Options each kind needs (keyword names of channel_connect, as the connect_channel flags without "--").
REQUIRED = {
    "telegram": ("token",),
    "whatsapp": ("phone_number_id", "access_token", "app_secret", "verify_token"),
    "messenger": ("page_id", "access_token", "app_secret", "verify_token"),
    "api": (),
    "webchat": (),
}
# Every option a kind takes; the admin's per-kind forms offer exactly these.
OPTIONS = {
    **REQUIRED,
    "api": ("webhook_url",),
    "webchat": ("allowed_origin", "greeting", "ask_name", "ask_email"),
}
# Options that are credentials: write-only (never shown again), and kept when left empty on an edit.
CREDENTIALS = frozenset({"token", "access_token", "app_secret", "verify_token"})
# Where each kind keeps its options in Channel.config (the connectors read these keys).
_CONFIG_KEYS = {"token": "bot_token", "allowed_origin": "allowed_origins"}


class ChannelError(InboxError):
    """The channel cannot be connected as asked; the message is plain words for an admin.

    `field` names the option at fault (connect_channel's names: "token", "access_token", …), or None.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def inbound_url(channel: Channel) -> str:
    """Where the provider calls us: <PUBLIC_BASE_URL>/hooks/<kind>/<uuid>/."""
    return settings.PUBLIC_BASE_URL + reverse("hook_inbound", args=[channel.kind, channel.uuid])


def channel_options(channel: Channel) -> dict[str, Any]:
    """The options a channel holds now, by channel_connect's names. Credentials included: never render them."""
    config = channel.config if isinstance(channel.config, dict) else {}
    options: dict[str, Any] = {}
    for option in OPTIONS.get(channel.kind, ()):
        if option == "webhook_url":
            options[option] = channel.webhook_url
        elif option == "allowed_origin":
            origins = config.get("allowed_origins") or []
            options[option] = [origins] if isinstance(origins, str) else [str(o) for o in origins]
        elif option in ("ask_name", "ask_email"):
            options[option] = bool(config.get(option))
        else:
            options[option] = meta.text_of(config.get(_CONFIG_KEYS.get(option, option)))
    return options


def channel_connect(*, workspace: Workspace, kind: str, name: str, **options: Any) -> Channel:
    """Validate the options with the provider and create the channel; ChannelError in plain words otherwise.

    Telegram: getMe, then setWebhook to our inbound URL with a fresh random secret_token (kept in
    channel.secret). WhatsApp / Messenger: a Graph GET of the phone number / page with the token.
    """
    if kind not in REQUIRED:
        raise ChannelError(_("Unknown channel kind %(kind)r (choose one of: %(kinds)s).")
                           % {"kind": kind, "kinds": ", ".join(REQUIRED)})
    name = clean_line(name, limit=200)
    if not name:
        raise ChannelError(_("A channel name is required."), field="name")
    if len(name) > 120:
        raise ChannelError(_("The channel name is too long (at most 120 characters)."), field="name")
    channel = Channel(workspace=workspace, kind=kind, name=name)
    if kind == "webchat":
        options = {"ask_name": True, "ask_email": False, **options}
    channel_configure(workspace=workspace, channel=channel, options=options)
    with transaction.atomic():
        channel.save()
    return channel


def channel_configure(*, workspace: Workspace, channel: Channel, options: dict[str, Any],
                      verify: bool = True) -> Channel:
    """Check a kind's options and apply them to `channel` (new or stored) without saving it.

    `options` uses channel_connect's names; on a stored channel, an option left out keeps its value.
    With `verify` (a channel that will be active), the provider confirms them: Telegram getMe, then
    setWebhook to our inbound URL with channel.secret; WhatsApp / Messenger a Graph GET of the phone
    number / page. Raises ChannelError, with `field` naming the option at fault, and then changes nothing
    the caller will save (the caller must not save the channel).
    """
    if channel.workspace_id is not None and channel.workspace_id != workspace.pk:
        raise Channel.DoesNotExist
    kind = channel.kind
    if kind not in OPTIONS:
        raise ChannelError(_("Unknown channel kind %(kind)r (choose one of: %(kinds)s).")
                           % {"kind": kind, "kinds": ", ".join(REQUIRED)})
    merged = {**(channel_options(channel) if channel.pk else {}),
              **{key: value for key, value in options.items() if key in OPTIONS[kind]}}
    values = {key: value if isinstance(value, (bool, list, tuple)) else clean_line(str(value or ""), limit=1000)
              for key, value in merged.items()}
    missing = [key for key in REQUIRED[kind] if not values.get(key)]
    if missing:
        raise ChannelError(_("Missing for a %(kind)s channel: %(options)s.")
                           % {"kind": kind, "options": ", ".join("--" + m.replace("_", "-") for m in missing)},
                           field=missing[0])
    config = dict(channel.config) if isinstance(channel.config, dict) else {}
    if kind == "telegram":
        config.update(_configure_telegram(channel, values["token"], config, verify=verify))
    elif kind in ("whatsapp", "messenger"):
        config.update(_configure_meta(kind, values, config, verify=verify))
    elif kind == "api":
        channel.webhook_url = _checked_webhook_url(values.get("webhook_url", ""))
    elif kind == "webchat":
        origins = values.get("allowed_origin") or []
        config.update({"allowed_origins": _checked_origins([origins] if isinstance(origins, str) else list(origins)),
                       "greeting": clean_line(str(values.get("greeting") or ""), limit=500),
                       "ask_name": bool(values.get("ask_name")), "ask_email": bool(values.get("ask_email"))})
    channel.config = config
    return channel


def channel_test(*, workspace: Workspace, channel: Channel) -> str:
    """Check a channel's connection with its provider; a plain-words success line, or ChannelError.

    For Telegram this also (re)registers the webhook when it points elsewhere, so it doubles as "connect".
    """
    if channel.workspace_id != workspace.pk:
        raise Channel.DoesNotExist
    config = channel.config or {}
    if channel.kind == "telegram":
        token = meta.text_of(config.get("bot_token"))
        if not token:
            raise ChannelError(_("This Telegram channel has no bot token."))
        me = _telegram(token, "getMe")
        info = _telegram(token, "getWebhookInfo") or {}
        # Always (re)register: the secret may have been regenerated in the admin, and Telegram never shows it.
        _set_webhook(token, channel)
        if info.get("url") != inbound_url(channel):
            return _("Connected as @%(bot)s; the webhook was registered again.") % {"bot": me.get("username")}
        if info.get("last_error_message"):
            return _("Connected as @%(bot)s, but Telegram last failed to reach Parley: %(error)s") % {
                "bot": me.get("username"), "error": info["last_error_message"]}
        return _("Connected as @%(bot)s.") % {"bot": me.get("username")}
    if channel.kind == "whatsapp":
        info = _graph_check(meta.text_of(config.get("access_token")), meta.text_of(config.get("phone_number_id")),
                            "WhatsApp", "display_phone_number,verified_name", id_field="phone_number_id")
        return _("Connected to %(number)s (%(name)s).") % {
            "number": info.get("display_phone_number", "?"), "name": info.get("verified_name", "")}
    if channel.kind == "messenger":
        info = _graph_check(meta.text_of(config.get("access_token")), meta.text_of(config.get("page_id")),
                            "Messenger", "id,name", id_field="page_id")
        return _("Connected to the page %(name)s.") % {"name": info.get("name", "?")}
    if channel.kind == "api":
        if not channel.webhook_url:
            return _("Inbound messages work; outbound messages need a webhook URL.")
        _checked_webhook_url(channel.webhook_url)
        return _("Outbound messages go to %(url)s.") % {"url": channel.webhook_url}
    return _("Nothing to check with a provider for this channel.")


def _configure_telegram(channel: Channel, token: str, config: dict, *, verify: bool) -> dict:
    if not TELEGRAM_TOKEN.match(token):
        raise ChannelError(_("That does not look like a Telegram bot token (it is like 123456:ABC-DEF…, "
                             "from @BotFather)."), field="token")
    if not TELEGRAM_SECRET.match(channel.secret or ""):
        channel.secret = secrets.token_urlsafe(32)  # A-Z a-z 0-9 _ - : what secret_token allows
    same_bot = config.get("bot_token") == token
    if not verify:
        # Not checked with Telegram (an inactive channel): the bot's name is known only for the same token.
        return {"bot_token": token, "bot_id": config.get("bot_id") if same_bot else None,
                "bot_username": config.get("bot_username", "") if same_bot else ""}
    me = _telegram(token, "getMe")
    if not isinstance(me, dict) or not me.get("is_bot"):
        raise ChannelError(_("Telegram says this token does not belong to a bot."), field="token")
    _set_webhook(token, channel)
    return {"bot_token": token, "bot_id": me.get("id"), "bot_username": meta.text_of(me.get("username"))}


def _configure_meta(kind: str, values: dict, config: dict, *, verify: bool) -> dict:
    id_key, product, fields, shown = {
        "whatsapp": ("phone_number_id", "WhatsApp", "display_phone_number,verified_name", "display_phone_number"),
        "messenger": ("page_id", "Messenger", "id,name", "page_name"),
    }[kind]
    new = {key: values[key] for key in REQUIRED[kind]}
    if verify:
        info = _graph_check(new["access_token"], new[id_key], product, fields, id_field=id_key)
        new[shown] = meta.text_of(info.get("display_phone_number" if kind == "whatsapp" else "name"))
    else:
        _check_graph_id(new[id_key], product, id_field=id_key)
        if config.get(id_key) != new[id_key]:
            new[shown] = ""  # another number / page: its name is known once it is checked
    return new


def _set_webhook(token: str, channel: Channel) -> None:
    try:
        _telegram(token, "setWebhook", {"url": inbound_url(channel), "secret_token": channel.secret,
                                        "allowed_updates": TELEGRAM_UPDATES})
    except ChannelError as exc:
        # The token was fine (getMe answered): what failed is our public address, not an option.
        raise ChannelError(_("%(error)s (Telegram must reach %(url)s over HTTPS, on port 443, 80, 88 or 8443: "
                             "check PUBLIC_BASE_URL.)") % {"error": exc, "url": settings.PUBLIC_BASE_URL}) from exc


def _telegram(token: str, method: str, data: dict | None = None) -> Any:
    try:
        return telegram.call(token, method, data=data, action=_("the request"))
    except TransientSendError as exc:
        raise ChannelError(_("Telegram could not be reached right now (%(why)s). Try again in a moment.")
                           % {"why": exc}, field="token") from exc
    except SendError as exc:
        raise ChannelError(str(exc), field="token") from exc


def _check_graph_id(object_id: str, product: str, *, id_field: str) -> None:
    if not re.fullmatch(r"[0-9A-Za-z_.-]{1,64}", object_id):
        raise ChannelError(_("%(id)r is not a valid %(product)s id.") % {"id": object_id, "product": product},
                           field=id_field)


def _graph_check(token: str, object_id: str, product: str, fields: str, *, id_field: str) -> dict:
    if not token or not object_id:
        raise ChannelError(_("This %(product)s channel is missing its access token or id.") % {"product": product},
                           field="access_token" if not token else id_field)
    _check_graph_id(object_id, product, id_field=id_field)
    action = _("the credentials")
    try:
        return meta.graph("GET", object_id, token=token, product=product, params={"fields": fields}, action=action)
    except TransientSendError as exc:
        raise ChannelError(_("%(product)s could not be reached right now (%(why)s). Try again in a moment.")
                           % {"product": product, "why": exc}, field="access_token") from exc
    except SendError as exc:
        # A refused token reads exactly like meta.explain's code-190 text; anything else is about the object.
        token_refused = str(exc) == meta.explain(190, product=product, action=action)
        raise ChannelError(str(exc), field="access_token" if token_refused else id_field) from exc


def _checked_webhook_url(url: str) -> str:
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ChannelError(_("The webhook URL must be an http(s) URL."), field="webhook_url") from None
    if len(url) > 500:
        raise ChannelError(_("The webhook URL is too long (at most 500 characters)."), field="webhook_url")
    try:
        check_public_url(url)
    except (SendError, TransientSendError) as exc:
        raise ChannelError(str(exc), field="webhook_url") from exc
    return url


def _checked_origins(origins: list[str]) -> list[str]:
    checked = []
    for origin in origins:
        normal = normalize_origin(clean_line(str(origin), limit=300))
        if not normal:
            raise ChannelError(_("%(origin)r is not an origin like https://shop.example.com.") % {"origin": origin},
                               field="allowed_origin")
        checked.append(normal)
    return list(dict.fromkeys(checked))
