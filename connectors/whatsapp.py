"""WhatsApp Cloud API: signed webhooks in (messages and statuses), /<phone_number_id>/messages out."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from . import meta, payloads
from .base import (
    Capabilities,
    InboundAttachment,
    InboundMessage,
    OutboundChannel,
    OutboundMessage,
    OutboundPart,
    SendError,
    SentPart,
    StatusReceipt,
    registry,
)
from .http import fetch_url
from .payloads import whatsapp as schema
from .payloads.common import moment

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Attachment, Channel

PRODUCT = "WhatsApp"
MEDIA_SCHEME = "whatsapp://media/"
CAPTION_LIMIT = 1024
AUDIO_LIMIT = 16 * 1024 * 1024
IMAGE_LIMIT = 5 * 1024 * 1024
DOCUMENT_LIMIT = 100 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
AUDIO_TYPES = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}


def _media(obj: schema.Media, default_name: str) -> InboundAttachment:
    ctype = obj.mime_type.split(";")[0].strip()
    name = obj.filename
    if not name:
        ext = ".ogg" if ctype == "audio/ogg" else (mimetypes.guess_extension(ctype) or "") if ctype else ""
        name = default_name + ext
    return InboundAttachment(url=f"{MEDIA_SCHEME}{obj.id}", name=name, content_type=ctype)


def _content(msg: schema.Message) -> tuple[str, list[InboundAttachment], str]:
    """(kind, attachments, text) of one WhatsApp inbound message object."""
    kind = msg.type
    if kind == "text":
        return "text", [], msg.text.body if msg.text else ""
    if kind == "audio" and msg.audio:
        voice = msg.audio.voice
        return ("voice" if voice else "audio"), [_media(msg.audio, "voice" if voice else "audio")], ""
    if kind == "image" and msg.image:
        return "image", [_media(msg.image, "image")], msg.image.caption
    if kind == "sticker" and msg.sticker:
        return "image", [_media(msg.sticker, "sticker")], ""
    if kind == "document" and msg.document:
        return "file", [_media(msg.document, "document")], msg.document.caption
    if kind == "video" and msg.video:
        return "file", [_media(msg.video, "video")], msg.video.caption
    if kind == "button":
        return "text", [], msg.button.text if msg.button else ""
    if kind == "interactive":
        reply = msg.interactive and (msg.interactive.button_reply or msg.interactive.list_reply)
        return "text", [], reply.title if reply else ""
    if kind == "location" and msg.location:
        place = msg.location
        return "text", [], _("[location] %(name)s %(lat)s, %(lon)s") % {
            "name": place.name, "lat": place.latitude, "lon": place.longitude}
    if kind == "reaction":
        return "text", [], _("[reaction] %(emoji)s") % {"emoji": msg.reaction.emoji if msg.reaction else ""}
    if kind == "contacts":
        names = [c.name.formatted_name for c in msg.contacts if c.name]
        return "text", [], _("[contact] %(names)s") % {"names": ", ".join(names)}
    return "text", [], _("[a %(type)s message that Parley cannot show]") % {"type": kind or "?"}


def _message(msg: schema.Message, names: dict[str, str]) -> InboundMessage | None:
    kind, attachments, text = _content(msg)
    if not text.strip() and not attachments:
        return None
    return InboundMessage(
        external_contact_id=msg.sender, external_message_id=msg.id, text=text,
        contact_name=names.get(msg.sender, ""), phone="+" + msg.sender if msg.sender.isdigit() else "", kind=kind,
        attachments=tuple(attachments), sent_at=moment(msg.timestamp),
    )


def _status(status: schema.Status) -> StatusReceipt | None:
    ours = STATUSES.get(status.status)
    if ours is None or not status.id:
        return None
    reason = ""
    if ours == "failed":
        first = status.errors[0] if status.errors else schema.StatusError()
        details = first.error_data.details if first.error_data else ""
        reason = meta.explain(first.code, product=PRODUCT, message=(details or first.message or first.title)[:300])
    return StatusReceipt(external_message_id=status.id, status=ours, reason=reason)


class WhatsAppConnector(meta.MetaConnector):
    kind = "whatsapp"
    capabilities = Capabilities(voice_note=True, audio=True, file=True, image=True, max_file_bytes=DOCUMENT_LIMIT,
                                voice_note_formats=("ogg/opus",))
    # Per-kind ceilings WhatsApp enforces (max_file_bytes above is the largest: documents).
    limits = {"audio": AUDIO_LIMIT, "voice": AUDIO_LIMIT, "image": IMAGE_LIMIT, "file": DOCUMENT_LIMIT}

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[InboundMessage | StatusReceipt]:
        webhook = payloads.parse(schema.Webhook, body)
        ours = meta.text_of(channel.config.get("phone_number_id"))
        items: list[InboundMessage | StatusReceipt] = []
        for entry in webhook.entry:
            for change in entry.changes:
                value = change.value
                if change.field != "messages" or value is None:
                    continue
                number = value.metadata.phone_number_id if value.metadata else ""
                if ours and number and number != ours:
                    continue  # another number of the same app: not this channel's
                names = {c.wa_id: c.profile.name for c in value.contacts if c.profile}
                items.extend(m for m in (_message(msg, names) for msg in value.messages) if m is not None)
                items.extend(r for r in (_status(status) for status in value.statuses) if r is not None)
        return items

    def fetch_media(self, channel: Channel, attachment: Attachment) -> tuple[bytes, str]:
        """GET /<media-id> for a short-lived download URL, then download it with the bearer token."""

        if not attachment.source_url.startswith(MEDIA_SCHEME):
            return fetch_url(attachment.source_url)
        token = _config(channel, "access_token")
        info = meta.graph("GET", attachment.source_url.removeprefix(MEDIA_SCHEME), token=token, product=PRODUCT)
        url = meta.text_of(info.get("url"))
        if not url:
            raise SendError(_("WhatsApp did not give a download link for this media."))
        # The Graph host is the operator's setting; any other host goes through the SSRF guard.
        guard = urlsplit(url).hostname != urlsplit(settings.META_GRAPH_BASE_URL).hostname
        return fetch_url(url, headers={"Authorization": f"Bearer {token}"}, max_bytes=DOCUMENT_LIMIT, guard=guard)

    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """The text (or a caption on a first image or document), then each file: uploaded, then sent by id."""
        token, number = _config(message.channel, "access_token"), _config(message.channel, "phone_number_id")
        to = message.recipient_id
        if not to:
            raise SendError(_("This contact has no WhatsApp number to answer to."))
        plan = [(part, *_kind_for(part)) for part in message.files]  # every file checked before anything goes
        text, caption = message.text, ""
        if plan and plan[0][1] in {"image", "document"} and len(text) <= CAPTION_LIMIT:
            caption, text = text, ""

        def post(kind: str, content: dict[str, Any]) -> str | None:
            answer = meta.graph("POST", f"{number}/messages", token=token, product=PRODUCT, json_body={
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind,
                kind: content})
            sent = answer.get("messages") if isinstance(answer.get("messages"), list) else []
            return str(sent[0]["id"]) if sent and isinstance(sent[0], dict) and sent[0].get("id") else None

        if text.strip():
            if message.pending("text"):
                yield SentPart("text", post("text", {"body": text, "preview_url": False}))
        elif not plan:
            raise SendError(_("There is nothing to send."))
        for i, (part, kind, voice) in enumerate(plan):
            if not message.pending(part.key):
                continue
            content: dict[str, Any] = {"id": _upload(token, number, part)}
            if kind == "audio" and voice:
                content["voice"] = True
            if kind == "document":
                content["filename"] = part.name
            if i == 0 and caption and kind in {"image", "document"}:
                content["caption"] = caption
            yield SentPart(part.key, post(kind, content))


def _upload(token: str, number: str, part: OutboundPart) -> str:
    """POST /<phone_number_id>/media (multipart); the media id to send."""
    ctype = part.ctype or "application/octet-stream"
    with part.open_file() as handle:
        answer = meta.graph("POST", f"{number}/media", token=token, product=PRODUCT,
                            data={"messaging_product": "whatsapp", "type": ctype},
                            files={"file": (part.name, handle, ctype)})
    if not answer.get("id"):
        raise SendError(_("WhatsApp did not accept the upload of %(name)s.") % {"name": part.name})
    return str(answer["id"])


def _kind_for(part: OutboundPart) -> tuple[str, bool]:
    """(WhatsApp message type, voice flag) for one file, honouring WhatsApp's formats and size limits."""
    if part.size > DOCUMENT_LIMIT:
        raise SendError(_("%(name)s is larger than WhatsApp's 100 MB limit.") % {"name": part.name})
    # Each file by its own type (a message may mix a document and a photo); voice only for voice notes.
    if part.ctype in AUDIO_TYPES and part.size <= AUDIO_LIMIT:
        return "audio", part.kind == "voice" and part.ctype == "audio/ogg"
    if part.ctype in IMAGE_TYPES and part.size <= IMAGE_LIMIT:
        return "image", False
    return "document", False


def _config(channel: OutboundChannel | Channel, key: str) -> str:
    value = meta.text_of(channel.config.get(key))
    if not value:
        raise SendError(_("This WhatsApp channel has no %(key)s configured.") % {"key": key})
    return value


registry.register(WhatsAppConnector())
