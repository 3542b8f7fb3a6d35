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

from inbox.connectors import meta, telegram
from inbox.connectors.base import SendError, TransientSendError
from inbox.connectors.http import check_public_url
from inbox.errors import InboxError
from inbox.models import Channel
from inbox.text import clean_line
from workspaces.models import Workspace

TELEGRAM_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
TELEGRAM_UPDATES = ["message", "edited_message"]

# Options each kind needs (keyword names of channel_connect, as the connect_channel flags without "--").
REQUIRED = {
    "telegram": ("token",),
    "whatsapp": ("phone_number_id", "access_token", "app_secret", "verify_token"),
    "messenger": ("page_id", "access_token", "app_secret", "verify_token"),
    "api": (),
    "webchat": (),
}


class ChannelError(InboxError):
    """The channel cannot be connected as asked; the message is plain words for an admin."""


def inbound_url(channel: Channel) -> str:
    """Where the provider calls us: <PUBLIC_BASE_URL>/hooks/<kind>/<uuid>/."""
    return settings.PUBLIC_BASE_URL + reverse("hook_inbound", args=[channel.kind, channel.uuid])


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
        raise ChannelError(_("A channel name is required."))
    if len(name) > 120:
        raise ChannelError(_("The channel name is too long (at most 120 characters)."))
    values = {key: clean_line(str(value), limit=1000) for key, value in options.items() if value}
    missing = [key for key in REQUIRED[kind] if not values.get(key)]
    if missing:
        raise ChannelError(_("Missing for a %(kind)s channel: %(options)s.")
                           % {"kind": kind, "options": ", ".join("--" + m.replace("_", "-") for m in missing)})
    channel = Channel(workspace=workspace, kind=kind, name=name)
    if kind == "telegram":
        _connect_telegram(channel, values["token"])
    elif kind == "whatsapp":
        channel.config = {k: values[k] for k in REQUIRED["whatsapp"]}
        info = _graph_check(values["access_token"], values["phone_number_id"], "WhatsApp",
                            "display_phone_number,verified_name")
        channel.config["display_phone_number"] = meta.text_of(info.get("display_phone_number"))
    elif kind == "messenger":
        channel.config = {k: values[k] for k in REQUIRED["messenger"]}
        info = _graph_check(values["access_token"], values["page_id"], "Messenger", "id,name")
        channel.config["page_name"] = meta.text_of(info.get("name"))
    elif kind == "api":
        channel.webhook_url = _checked_webhook_url(values.get("webhook_url", ""))
    elif kind == "webchat":
        origins = options.get("allowed_origin") or []
        channel.config = {"allowed_origins": _checked_origins([origins] if isinstance(origins, str) else origins),
                          "ask_name": True, "ask_email": False}
    with transaction.atomic():
        channel.save()
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
                            "WhatsApp", "display_phone_number,verified_name")
        return _("Connected to %(number)s (%(name)s).") % {
            "number": info.get("display_phone_number", "?"), "name": info.get("verified_name", "")}
    if channel.kind == "messenger":
        info = _graph_check(meta.text_of(config.get("access_token")), meta.text_of(config.get("page_id")),
                            "Messenger", "id,name")
        return _("Connected to the page %(name)s.") % {"name": info.get("name", "?")}
    if channel.kind == "api":
        if not channel.webhook_url:
            return _("Inbound messages work; outbound messages need a webhook URL.")
        _checked_webhook_url(channel.webhook_url)
        return _("Outbound messages go to %(url)s.") % {"url": channel.webhook_url}
    return _("Nothing to check with a provider for this channel.")


def _connect_telegram(channel: Channel, token: str) -> None:
    if not TELEGRAM_TOKEN.match(token):
        raise ChannelError(_("That does not look like a Telegram bot token (it is like 123456:ABC-DEF…, "
                             "from @BotFather)."))
    me = _telegram(token, "getMe")
    if not isinstance(me, dict) or not me.get("is_bot"):
        raise ChannelError(_("Telegram says this token does not belong to a bot."))
    channel.secret = secrets.token_urlsafe(32)  # A-Z a-z 0-9 _ - : what secret_token allows
    _set_webhook(token, channel)
    channel.config = {"bot_token": token, "bot_id": me.get("id"), "bot_username": meta.text_of(me.get("username"))}


def _set_webhook(token: str, channel: Channel) -> None:
    try:
        _telegram(token, "setWebhook", {"url": inbound_url(channel), "secret_token": channel.secret,
                                        "allowed_updates": TELEGRAM_UPDATES})
    except ChannelError as exc:
        raise ChannelError(_("%(error)s (Telegram must reach %(url)s over HTTPS, on port 443, 80, 88 or 8443: "
                             "check PUBLIC_BASE_URL.)") % {"error": exc, "url": settings.PUBLIC_BASE_URL}) from exc


def _telegram(token: str, method: str, data: dict | None = None) -> Any:
    try:
        return telegram.call(token, method, data=data, action=_("the request"))
    except TransientSendError as exc:
        raise ChannelError(_("Telegram could not be reached right now (%(why)s). Try again in a moment.")
                           % {"why": exc}) from exc
    except SendError as exc:
        raise ChannelError(str(exc)) from exc


def _graph_check(token: str, object_id: str, product: str, fields: str) -> dict:
    if not token or not object_id:
        raise ChannelError(_("This %(product)s channel is missing its access token or id.") % {"product": product})
    if not re.fullmatch(r"[0-9A-Za-z_.-]{1,64}", object_id):
        raise ChannelError(_("%(id)r is not a valid %(product)s id.") % {"id": object_id, "product": product})
    try:
        return meta.graph("GET", object_id, token=token, product=product, params={"fields": fields},
                          action=_("the credentials"))
    except TransientSendError as exc:
        raise ChannelError(_("%(product)s could not be reached right now (%(why)s). Try again in a moment.")
                           % {"product": product, "why": exc}) from exc
    except SendError as exc:
        raise ChannelError(str(exc)) from exc


def _checked_webhook_url(url: str) -> str:
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ChannelError(_("The webhook URL must be an http(s) URL.")) from None
    if len(url) > 500:
        raise ChannelError(_("The webhook URL is too long (at most 500 characters)."))
    try:
        check_public_url(url)
    except (SendError, TransientSendError) as exc:
        raise ChannelError(str(exc)) from exc
    return url


def _checked_origins(origins: list[str]) -> list[str]:
    from inbox.services.webchat import normalize_origin

    checked = []
    for origin in origins:
        normal = normalize_origin(clean_line(str(origin), limit=300))
        if not normal:
            raise ChannelError(_("%(origin)r is not an origin like https://shop.example.com.") % {"origin": origin})
        checked.append(normal)
    return list(dict.fromkeys(checked))
