"""The generic API channel: JSON in with a bearer token, signed JSON out to the channel's webhook."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.utils.translation import gettext_lazy as _

from inbox.text import MESSAGE_MAX_CHARS

from . import http
from .base import (
    BadPayload,
    Capabilities,
    Connector,
    InboundAttachment,
    InboundMessage,
    NotAuthentic,
    SendError,
    SendResult,
    registry,
)

MAX_ATTACHMENTS = 10


def signature(secret: str, body: bytes) -> str:
    """The X-Parley-Signature value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _str(obj: dict, key: str, field: str, *, required: bool = False, limit: int = 255) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise BadPayload(str(_("%(field)s is required.") % {"field": field}), field=field)
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadPayload(str(_("%(field)s must be a string.") % {"field": field}), field=field)
    value = str(value)
    if len(value) > limit:
        raise BadPayload(
            str(_("%(field)s is too long (at most %(limit)d characters).") % {"field": field, "limit": limit}),
            field=field,
        )
    return value


class ApiConnector(Connector):
    kind = "api"
    # Voice notes go out as OGG/Opus (audio/ogg); the receiving system decides how to play them.
    capabilities = Capabilities(voice_note=True, voice_note_formats=("ogg/opus",), max_file_bytes=25 * 1024 * 1024)

    def verify(self, request, channel) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), channel.token.encode()):
            raise NotAuthentic("Wrong or missing bearer token.")

    def parse(self, request, channel) -> list[InboundMessage]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise BadPayload(str(_("The body is not valid JSON.")), field="body") from None
        if not isinstance(payload, dict):
            raise BadPayload(str(_("The body must be a JSON object.")), field="body")
        contact = payload.get("contact")
        if not isinstance(contact, dict):
            raise BadPayload(str(_("contact must be an object.")), field="contact")
        message = payload.get("message")
        if not isinstance(message, dict):
            raise BadPayload(str(_("message must be an object.")), field="message")
        text = message.get("text", "")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise BadPayload(str(_("message.text must be a string.")), field="message.text")
        if len(text) > MESSAGE_MAX_CHARS:
            raise BadPayload(
                str(_("message.text is too long (at most %(limit)d characters).") % {"limit": MESSAGE_MAX_CHARS}),
                field="message.text",
            )
        attachments = message.get("attachments") or []
        if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
            raise BadPayload(
                str(_("message.attachments must be a list of at most %(n)d items.") % {"n": MAX_ATTACHMENTS}),
                field="message.attachments",
            )
        parsed = []
        for i, item in enumerate(attachments):
            where = f"message.attachments[{i}]"
            if not isinstance(item, dict):
                raise BadPayload(str(_("%(field)s must be an object.") % {"field": where}), field=where)
            url = _str(item, "url", f"{where}.url", required=True, limit=1000)
            if not url.startswith(("http://", "https://")):
                raise BadPayload(str(_("%(field)s must be an http(s) URL.") % {"field": f"{where}.url"}),
                                 field=f"{where}.url")
            name = _str(item, "name", f"{where}.name", limit=255) or url.rsplit("/", 1)[-1][:255] or "file"
            parsed.append(InboundAttachment(url=url, name=name,
                                            content_type=_str(item, "content_type", f"{where}.content_type")))
        if not text.strip() and not parsed:
            raise BadPayload(str(_("message.text or message.attachments is required.")), field="message.text")
        kind = "text"
        if parsed and not text.strip():
            ctype = parsed[0].content_type
            kind = "image" if ctype.startswith("image/") else "audio" if ctype.startswith("audio/") else "file"
        return [
            InboundMessage(
                external_contact_id=_str(contact, "id", "contact.id", required=True),
                external_message_id=_str(message, "id", "message.id", required=True),
                contact_name=_str(contact, "name", "contact.name", limit=200),
                phone=_str(contact, "phone", "contact.phone", limit=40),
                email=_str(contact, "email", "contact.email", limit=254),
                text=text,
                kind=kind,
                attachments=tuple(parsed),
            )
        ]

    def send(self, channel, message) -> SendResult:
        from inbox.files import attachment_payload

        if not channel.webhook_url:
            raise SendError(str(_("This API channel has no webhook URL to deliver to.")))
        contact_identity = message.conversation.contact.identities.filter(channel=channel).first()
        body = json.dumps(
            {
                "event": "message.created",
                "conversation": {"id": message.conversation_id},
                "contact": {"id": contact_identity.external_id if contact_identity else None},
                "message": {
                    "id": message.pk,
                    "text": message.body,
                    "kind": message.kind,
                    "attachments": [attachment_payload(a) for a in message.attachments.all()],
                    "created_at": message.created_at.isoformat(),
                },
            },
            ensure_ascii=False,
        ).encode()
        http.post(
            channel.webhook_url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8",
                     "X-Parley-Signature": signature(channel.secret, body),
                     "X-Parley-Delivery": str(message.pk),
                     "User-Agent": "Parley-Webhook/1"},
        )
        return SendResult(external_id=None)


registry.register(ApiConnector())
