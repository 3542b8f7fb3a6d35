"""The generic API channel: JSON in with a bearer token, signed JSON out to the channel's webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from . import http, payloads
from .base import (
    BadPayload,
    Capabilities,
    Connector,
    InboundAttachment,
    InboundMessage,
    NotAuthentic,
    OutboundMessage,
    SendError,
    SentPart,
    registry,
)
from .payloads import api as schema


def signature(secret: str, body: bytes) -> str:
    """The X-Parley-Signature value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ApiConnector(Connector):
    kind = "api"
    # Voice notes go out as OGG/Opus (audio/ogg); the receiving system decides how to play them.
    capabilities = Capabilities(voice_note=True, voice_note_formats=("ogg/opus",), max_file_bytes=25 * 1024 * 1024)

    def verify(self, request, channel, body) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), channel.token.encode()):
            raise NotAuthentic("Wrong or missing bearer token.")

    def parse(self, request, channel, body) -> list[InboundMessage]:
        inbound = payloads.parse(schema.Inbound, body)
        contact, message = inbound.contact, inbound.message
        parsed = tuple(
            InboundAttachment(url=a.url, name=a.name or a.url.rsplit("/", 1)[-1][:255] or "file",
                              content_type=a.content_type)
            for a in message.attachments
        )
        if not message.text and not parsed:
            raise BadPayload(str(_("message.text or message.attachments is required.")), field="message.text")
        kind = "text"
        if parsed and not message.text:
            ctype = parsed[0].content_type
            kind = "image" if ctype.startswith("image/") else "audio" if ctype.startswith("audio/") else "file"
        return [
            InboundMessage(
                external_contact_id=contact.id, external_message_id=message.id, contact_name=contact.name,
                phone=contact.phone, email=contact.email, text=message.text, kind=kind, attachments=parsed,
            )
        ]

    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """One signed POST with the whole message; X-Parley-Delivery is the message id on every attempt."""
        if not message.pending(WHOLE):
            return
        channel = message.channel
        if not channel.webhook_url:
            raise SendError(str(_("This API channel has no webhook URL to deliver to.")))
        body = json.dumps(payload(message), ensure_ascii=False).encode()
        http.post(
            channel.webhook_url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8",
                     "X-Parley-Signature": signature(channel.secret, body),
                     "X-Parley-Delivery": str(message.id),
                     "User-Agent": "Parley-Webhook/1"},
        )
        yield SentPart(WHOLE)


WHOLE = "message"  # the API channel sends a message in one request: one part


def payload(message: OutboundMessage) -> dict:
    """The outbound JSON (see the README's "Outbound: an agent replies")."""
    return {
        "event": "message.created",
        "conversation": {"id": message.conversation_id},
        "contact": {"id": message.recipient_id or None},
        "message": {
            "id": message.id,
            "text": message.text,
            "kind": message.kind,
            "sender": message.sender,
            "attachments": [{"url": p.url, "name": p.name, "content_type": p.content_type, "size": p.size}
                            for p in message.files],
            "created_at": message.created_at.isoformat() if message.created_at else None,
        },
    }


registry.register(ApiConnector())
