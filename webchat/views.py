"""The web chat widget's public endpoints: the script, visitor sessions, messages, and the demo page.

Every endpoint except the script and the demo is CORS-guarded: only the channel's allowed origins (and
the app's own) get Access-Control-Allow-Origin; a request from any other origin is refused (403).
Visitors authenticate with `Authorization: Bearer <visitor token>`; no cookies are involved.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from connectors import payloads
from connectors.base import BadPayload
from connectors.payloads import webchat as schema
from connectors.payloads.common import Payload
from inbox.errors import InboxError
from inbox.models import Channel
from workspaces.client_ip import client_ip

from . import services as webchat

WIDGET_DIR = Path(settings.BASE_DIR) / "static" / "widget"
CONFIG_PLACEHOLDER = "/*PARLEY_CONFIG*/null"
MAX_REQUEST_BYTES = webchat.MAX_FILES * webchat.MAX_FILE_BYTES + 1024 * 1024
FORM_MAX_BYTES = 128 * 1024  # session or message fields without files: a 4096-character text, escaped, fits
_JS_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026",
               0x2028: "\\u2028", 0x2029: "\\u2029"}

ChatView = Callable[[HttpRequest, Channel], HttpResponse]


def _error(message: str, field: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": str(message), "field": field, **extra}, status=status)


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _webchat_channel(channel_uuid) -> Channel | None:
    return (
        Channel.objects.select_related("workspace")
        .filter(uuid=channel_uuid, kind=Channel.Kind.WEBCHAT, is_active=True).first()
    )


def cors_guarded(methods: tuple[str, ...]) -> Callable[[ChatView], Callable[..., HttpResponse]]:
    """Load the webchat channel, refuse foreign origins, answer preflights, add the CORS headers."""

    def decorate(view: ChatView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, channel_uuid) -> HttpResponse:
            channel = _webchat_channel(channel_uuid)
            if channel is None:
                return _error(_("Unknown chat."), "channel", status=404)
            origin = request.headers.get("Origin", "")
            if origin and not webchat.origin_allowed(channel, origin, own=(_own_origin(request),)):
                response = _error(_("This website may not use this chat."), "origin", status=403)
                response["Vary"] = "Origin"
                return response
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
                response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
                response["Access-Control-Max-Age"] = "600"
            elif request.method not in methods:
                response = _error(_("Method not allowed."), "method", status=405)
                response["Allow"] = ", ".join((*methods, "OPTIONS"))
            else:
                response = view(request, channel)
            if origin:
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = "Retry-After"
            response["Vary"] = "Origin"
            response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorate


def _bearer(request: HttpRequest) -> str:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _visitor_or_error(request: HttpRequest, channel: Channel) -> webchat.Visitor | JsonResponse:
    visitor = webchat.read_token(_bearer(request), channel)
    if visitor is None:
        return _error(_("This chat session is not valid here; start a new one."), "token", status=401)
    return visitor


def _too_many(retry_after: int, message: str) -> JsonResponse:
    response = _error(message, "rate", status=429, retry_after=retry_after)
    response["Retry-After"] = str(retry_after)
    return response


def _client_ip(request: HttpRequest) -> str:
    """The rate-limit key: the same client address login throttling uses (FORWARDED_ALLOW_IPS decides)."""
    return client_ip(request) or "unknown"


# ---- the script -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _widget_files(stamp: tuple[float, float]) -> tuple[str, str]:
    """(script, styles) from static/widget/, read again when either file changes."""
    source = (WIDGET_DIR / "widget.js").read_text(encoding="utf-8")
    if CONFIG_PLACEHOLDER not in source:
        raise RuntimeError(f"static/widget/widget.js has no {CONFIG_PLACEHOLDER} placeholder")
    return source, (WIDGET_DIR / "widget.css").read_text(encoding="utf-8")


def widget_files() -> tuple[str, str]:
    return _widget_files(((WIDGET_DIR / "widget.js").stat().st_mtime, (WIDGET_DIR / "widget.css").stat().st_mtime))


def _labels() -> dict[str, str]:
    """The widget's words, in the visitor's language (Accept-Language)."""
    return {
        "open": _("Open chat"), "close": _("Close chat"), "log": _("Conversation"), "message": _("Message"),
        "send": _("Send"), "attach": _("Attach files"), "remove_files": _("Remove attached files"),
        "name": _("Your name"), "email": _("Your email"), "start": _("Start chat"),
        "you": _("You"), "agent": _("Agent"), "region": _("Chat"),
        "placeholder": _("Write a message…"),
        "offline": _("Can’t reach the chat server right now. We keep trying; your messages are not lost."),
        "empty": _("Write a message or attach a file."),
        "failed": _("Your message could not be sent. Try again."),
        "new_message": _("New message"), "files_selected": _("Files to send:"),
        "voice": _("Voice note"), "download": _("Download"), "name_required": _("Please enter your name."),
        "email_required": _("Please enter a valid email address."),
        "too_large": _("%(name)s is too large (at most %(mb)d MB per file)."),
    }


@require_GET
def script(request: HttpRequest, channel_uuid) -> HttpResponse:
    """GET /widget/<uuid>.js: the embeddable script with this channel's public config baked in."""
    channel = _webchat_channel(channel_uuid)
    if channel is None:
        return HttpResponse("/* Parley: unknown chat. */\n", status=404, content_type="application/javascript")
    base = request.build_absolute_uri("/").rstrip("/")
    ws_base = ("wss://" if request.is_secure() else "ws://") + request.get_host()
    source, css = widget_files()
    config = {
        **webchat.public_config(channel),
        "channel": str(channel.uuid),
        "api": base + reverse("widget:root", args=[channel.uuid]),
        "ws": ws_base + f"/ws/widget/{channel.uuid}/",
        "origins": webchat.allowed_origins(channel, own=(_own_origin(request),)),
        "labels": _labels(),
        "language": get_language(),  # the labels' language: times read as in the inbox ("9:18 PM", "21:18")
        "css": css,
    }
    baked = json.dumps(config, ensure_ascii=False).translate(_JS_ESCAPES)
    source = source.replace(CONFIG_PLACEHOLDER, baked, 1)
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Vary"] = "Accept-Language"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# ---- sessions and messages ------------------------------------------------------------------------


class FormError(Exception):
    """A widget request whose fields cannot be read: answered as JSON with `field` and `status`."""

    def __init__(self, message: str, field: str, status: int = 400):
        super().__init__(message)
        self.field, self.status = field, status


def _too_large(limit: int) -> FormError:
    return FormError(_("The body is too large (at most %(kb)d KB).") % {"kb": limit // 1024}, "body", status=413)


def _declared_length(request: HttpRequest) -> int:
    """Content-Length as a number; 0 when absent or malformed (ASGI comma-joins duplicates): reads stay capped."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _form[F: Payload](request: HttpRequest, schema: type[F], *, files: bool = False) -> F:
    """The request's fields (JSON, urlencoded or, with `files`, multipart) validated as `schema`.

    JSON and urlencoded bodies are read with a FORM_MAX_BYTES cap (413 past it, at any size); JSON goes
    through the same decoding and typed cleaning as provider webhooks, so deep nesting or a lone surrogate
    is a 400 or cleaned text, never a 500. Multipart bodies (files) have their own limits in the messages view.
    """
    if request.content_type == "multipart/form-data":
        if not files and _declared_length(request) > FORM_MAX_BYTES:
            raise _too_large(FORM_MAX_BYTES)
        try:
            data = dict(request.POST.items())
        except RequestDataTooBig:
            raise _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
        except (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
            raise FormError(_("The message could not be read (too large or malformed)."), "body") from None
    else:
        try:
            raw = payloads.read_body(request, limit=FORM_MAX_BYTES)
        except payloads.BodyTooLarge as exc:
            raise _too_large(exc.limit) from None
        try:
            if request.content_type == "application/json":
                data = payloads.decode_json(raw or b"{}")
            else:
                data = dict(QueryDict(raw, encoding="utf-8").items())
        except BadPayload as exc:
            raise FormError(str(exc), exc.field) from None
        except TooManyFieldsSent:
            raise FormError(_("The message could not be read (too large or malformed)."), "body") from None
    try:
        return payloads.validate(schema, data)
    except BadPayload as exc:
        raise FormError(str(exc), exc.field) from None


@cors_guarded(("POST",))
def session(request: HttpRequest, channel: Channel) -> HttpResponse:
    """POST /widget/<uuid>/session/: a visitor token (the same visitor again when a valid token is sent)."""
    retry = webchat.rate_limited(f"session:{channel.pk}:{_client_ip(request)}", limit=webchat.sessions_per_minute())
    if retry:
        return _too_many(retry, _("Too many new chats from here: wait a minute and try again."))
    try:
        data = _form(request, schema.SessionForm)
    except FormError as exc:
        return _error(str(exc), exc.field, status=exc.status)
    name, email = data.name, data.email.lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return _error(_("Please enter a valid email address."), "email")
    existing = webchat.read_token(_bearer(request) or data.token, channel)
    config = webchat.public_config(channel)
    if existing is None:
        if config["ask_name"] and not name:
            return _error(_("Please enter your name."), "name")
        if config["ask_email"] and not email:
            return _error(_("Please enter a valid email address."), "email")
    token = webchat.issue_token(
        channel, visitor_id=existing.visitor_id if existing else None,
        name=name or (existing.name if existing else ""), email=email or (existing.email if existing else ""),
    )
    return JsonResponse({"token": token, "returning": existing is not None}, status=200 if existing else 201)


@cors_guarded(("GET", "POST"))
def messages(request: HttpRequest, channel: Channel) -> HttpResponse:
    """GET: the visitor's own history (?after=<id> for a resync). POST: a message (text and/or files)."""
    visitor = _visitor_or_error(request, channel)
    if isinstance(visitor, JsonResponse):
        return visitor
    if request.method == "GET":
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError:
            return _error(_("after must be a message id."), "after")
        return JsonResponse({"messages": webchat.visitor_history(channel, visitor, after=max(0, after))})
    retry = webchat.rate_limited(f"msg:{channel.pk}:{visitor.visitor_id}", limit=webchat.messages_per_minute())
    if retry:
        return _too_many(retry, _("You are sending messages too fast: wait %(n)d seconds and try again.")
                         % {"n": retry})
    if _declared_length(request) > MAX_REQUEST_BYTES:
        return _error(_("The message is too large (at most %(mb)d MB per file).")
                      % {"mb": webchat.MAX_FILE_BYTES // (1024 * 1024)}, "files")
    try:
        data = _form(request, schema.MessageForm, files=True)
        files = request.FILES.getlist("files") if request.content_type == "multipart/form-data" else []
    except (RequestDataTooBig, TooManyFilesSent, MultiPartParserError):
        return _error(_("The message could not be read (too large or malformed)."), "body")
    except FormError as exc:
        return _error(str(exc), exc.field, status=exc.status)
    text = data.text
    try:
        webchat.check_files(files)
    except InboxError as exc:
        return _error(str(exc), "files")
    try:
        message = webchat.post_visitor_message(channel=channel, visitor=visitor, text=text, files=files,
                                               client_id=data.client_id)
    except InboxError as exc:
        return _error(str(exc), "text")
    payload = webchat.visitor_message_payload(webchat.load_message(channel, message.pk))
    return JsonResponse({"message": payload}, status=201)


# ---- the demo page --------------------------------------------------------------------------------


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """GET /widget/demo/: chat as a contact of the Demo workspace (DEBUG or the embedded mode only)."""
    if not (settings.DEBUG or settings.PARLEY_MODE == "embedded"):
        raise Http404
    channel = webchat.webchat_demo_channel()
    if channel is None:
        raise Http404("There is no demo workspace yet: run `make run` (it loads the demo data).")
    return render(request, "widget/demo.html", {"channel": channel})


def root(request: HttpRequest, channel_uuid) -> HttpResponse:
    """GET /widget/<uuid>/: the base the script's API calls are relative to (nothing lives here)."""
    return _error(_("Use the session/ and messages/ endpoints."), "path", status=404)
