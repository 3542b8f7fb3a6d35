"""Shared Meta (WhatsApp Cloud API, Messenger) plumbing: signatures, the GET handshake, Graph calls, errors."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from . import http
from .base import Connector, NotAuthentic

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Channel

# Graph error codes that mean "slow down / try again later" (throttling, temporary outages).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
WHATSAPP_WINDOW_CODE = 131047
MESSENGER_WINDOW_SUBCODE = 2018278


def signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(request: HttpRequest, channel: Channel, body: bytes) -> None:
    """Raise NotAuthentic unless X-Hub-Signature-256 matches the raw body (constant-time compare)."""
    app_secret = str(channel.config.get("app_secret") or "")
    if not app_secret:
        raise NotAuthentic("This channel has no app secret configured.")
    given = request.headers.get("X-Hub-Signature-256", "")
    if not given or not hmac.compare_digest(given.encode(), signature(app_secret, body).encode()):
        raise NotAuthentic("Wrong or missing X-Hub-Signature-256.")


def subscribe(request: HttpRequest, channel: Channel) -> HttpResponse:
    """Meta's GET verification handshake: echo hub.challenge when hub.verify_token matches."""
    expected = str(channel.config.get("verify_token") or "")
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (mode != "subscribe" or not expected or not challenge or len(challenge) > 200
            or not hmac.compare_digest(token.encode(), expected.encode())):
        return JsonResponse({"error": "Verification failed.", "field": "hub.verify_token"}, status=403)
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def graph_url(path: str) -> str:
    return f"{settings.META_GRAPH_BASE_URL}/{path.lstrip('/')}"


def graph(method: str, path: str, *, token: str, product: str, json_body: dict | None = None,
          data: dict | None = None, files: dict | None = None, params: dict | None = None,
          action: str = "") -> dict:
    """Call the Graph API with the channel's bearer token; a 2xx JSON body, or Send(Transient)Error in plain words.

    The base URL is the operator's setting (not user input), so the SSRF guard does not apply here.
    """

    def read(status: int, body: dict) -> http.Refusal | None:
        error = body.get("error")
        if isinstance(error, str):
            error = {"message": error}
        if not isinstance(error, dict):
            return None  # no Graph error: a 2xx is accepted, anything else is judged by its status
        return graph_refusal(error, product=product, action=action)

    return http.call(method, graph_url(path), who=product, guard=False, json=json_body, data=data, files=files,
                     params=params, headers={"Authorization": f"Bearer {token}"}, read=read)


def graph_refusal(error: dict, *, product: str, action: str = "") -> http.Refusal:
    """A Graph error object read into a reason an agent can read, and whether it is worth retrying."""
    code = as_int(error.get("code"))
    subcode = as_int(error.get("error_subcode"))
    details = error.get("error_data", {}).get("details", "") if isinstance(error.get("error_data"), dict) else ""
    reason = explain(code, subcode=subcode, product=product, action=action,
                     message=text_of(details or error.get("message") or error.get("title"))[:300])
    return http.Refusal(reason, transient=code in TRANSIENT_CODES)


def explain(code: int | None, *, product: str, message: str = "", subcode: int | None = None,
            action: str = "") -> str:
    """A plain-words reason for a Graph error code (used for send errors and failed-status receipts).

    `action` names what was refused ("the message" by default).
    """
    action = action or _("the message")
    if code == WHATSAPP_WINDOW_CODE:
        return _(
            "Not delivered: more than 24 hours have passed since this contact last wrote, and WhatsApp only "
            "allows free-form replies within 24 hours of the contact's last message. Wait for the contact to "
            "write again, or reach them with an approved message template."
        )
    if subcode == MESSENGER_WINDOW_SUBCODE:
        return _(
            "Not delivered: more than 24 hours have passed since this contact last wrote, and Messenger only "
            "allows replies within 24 hours of the contact's last message. Wait for the contact to write again."
        )
    if code == 190:
        return _("%(product)s refused the access token (it is invalid or has expired). An admin needs to "
                 "reconnect the channel with a new token.") % {"product": product}
    if code in {3, 10, 200, 230}:
        return _("%(product)s says this app lacks the permission to do that: %(message)s") % {
            "product": product, "message": message or _("no details given")}
    if code == 551:
        return _("Not delivered: this person is not available on Messenger right now.")
    if code == 131026:
        return _("Not delivered: WhatsApp could not deliver to this number (it may not use WhatsApp, or has "
                 "not accepted the latest terms).")
    if code in TRANSIENT_CODES:
        return _("%(product)s is busy or limiting how fast we send (%(message)s). It will be retried.") % {
            "product": product, "message": message or code}
    if message:
        return _("%(product)s refused %(action)s: %(message)s") % {
            "product": product, "action": action, "message": message}
    return _("%(product)s refused %(action)s (error %(code)s).") % {
        "product": product, "action": action, "code": code or "?"}


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def guess_name(url: str, default: str) -> str:
    """A display name from a CDN link's last path segment (no query), or the default."""
    tail = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return tail[:255] if tail and "." in tail else default


class MetaConnector(Connector):
    """What WhatsApp and Messenger share: the X-Hub-Signature-256 check and the subscription handshake."""

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> None:
        verify_signature(request, channel, body)

    def subscribe(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        return subscribe(request, channel)
