"""Messenger Platform: signed page webhooks in, the Send API out. No voice-note type: recordings go as audio."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from . import meta, payloads
from .base import (
    Capabilities,
    InboundAttachment,
    InboundMessage,
    OutboundChannel,
    OutboundMessage,
    OutboundPart,
    ReadUpTo,
    SendError,
    SentPart,
    StatusReceipt,
    registry,
)
from .payloads import messenger as schema
from .payloads.common import moment, require

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Channel

PRODUCT = "Messenger"
TEXT_LIMIT = 2000
FILE_LIMIT = 25 * 1024 * 1024
KINDS = {"audio": "audio", "image": "image", "video": "file", "file": "file"}
DEFAULT_NAMES = {"audio": "audio.mp4", "image": "image.jpg", "video": "video.mp4", "file": "file"}


def _attachments(message: schema.Message) -> tuple[str, list[InboundAttachment], list[str]]:
    """(kind of the first media attachment, media attachments, texts from links/locations)."""
    kind, media, texts = "", [], []
    for item in message.attachments:
        payload = item.payload or schema.AttachmentPayload()
        url = payload.url
        if item.type in KINDS and url:
            kind = kind or KINDS[item.type]
            media.append(InboundAttachment(url=url, name=meta.guess_name(url, DEFAULT_NAMES[item.type])))
        elif item.type == "location":
            coords = payload.coordinates or schema.Coordinates()
            texts.append(_("[location] %(lat)s, %(lon)s") % {"lat": coords.lat, "lon": coords.long})
        elif url or item.title:
            texts.append(" ".join(filter(None, [item.title, url])))
    return kind, media, texts


def _parse_event(event: schema.Event, where: str) -> list[InboundMessage | StatusReceipt | ReadUpTo]:
    sender = event.sender.id if event.sender else ""
    sent_at = moment(event.timestamp, per_second=1000)
    if event.delivery:
        return [StatusReceipt(external_message_id=mid, status="delivered") for mid in event.delivery.mids if mid]
    if event.postback and sender:
        title = event.postback.title
        mid = event.postback.mid or f"postback:{sender}:{event.timestamp}"
        return [InboundMessage(external_contact_id=sender, external_message_id=mid[:255], text=title,
                               sent_at=sent_at)] if title else []
    if event.read and sender:
        # A watermark we cannot place in time says nothing reliable about what was read: ignored.
        until = moment(event.read.watermark, per_second=1000)
        return [ReadUpTo(external_contact_id=sender, until=until)] if until else []
    message = event.message
    if message is None:
        return []  # reactions, optins…
    if message.is_echo:
        return []  # our own page's messages echoed back
    require(sender, f"{where}.sender.id")
    kind, media, texts = _attachments(message)
    text = "\n".join(filter(None, [message.text, *texts]))
    if not text.strip() and not media:
        return []
    return [InboundMessage(external_contact_id=sender, external_message_id=message.mid, text=text,
                           kind=kind if media else "text",
                           attachments=tuple(media), sent_at=sent_at)]


class MessengerConnector(meta.MetaConnector):
    kind = "messenger"
    # Messenger has no voice-note type: a recording is sent as an audio attachment.
    capabilities = Capabilities(voice_note=False, audio=True, file=True, image=True, max_file_bytes=FILE_LIMIT)

    def parse(self, request: HttpRequest, channel: Channel,
              body: bytes) -> list[InboundMessage | StatusReceipt | ReadUpTo]:
        webhook = payloads.parse(schema.Webhook, body)
        page_id = meta.text_of(channel.config.get("page_id"))
        items: list[InboundMessage | StatusReceipt | ReadUpTo] = []
        for i, entry in enumerate(webhook.entry):
            if page_id and entry.id and entry.id != page_id:
                continue  # another page of the same app: not this channel's
            for j, event in enumerate(entry.messaging):
                items.extend(_parse_event(event, f"entry[{i}].messaging[{j}]"))
        return items

    def fetch_profile(self, channel: Channel, external_contact_id: str) -> dict[str, str]:
        """The person's name from the User Profile API (webhooks carry only the page-scoped id)."""
        answer = meta.graph("GET", external_contact_id, token=_config(channel, "access_token"), product=PRODUCT,
                            params={"fields": "first_name,last_name"})
        name = " ".join(filter(None, [meta.text_of(answer.get("first_name")), meta.text_of(answer.get("last_name"))]))
        return {"name": name}

    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """The text in chunks of at most 2000 characters, then each file as an uploaded attachment."""
        token = _config(message.channel, "access_token")
        page_id = meta.text_of(message.channel.config.get("page_id"))
        path = f"{page_id}/messages" if page_id else "me/messages"
        if not message.recipient_id:
            raise SendError(_("This contact has no Messenger conversation to answer to."))
        recipient = {"id": message.recipient_id}
        plan = [(part, _kind_for(part)) for part in message.files]  # every file checked before anything goes
        text = message.text.strip()
        if not text and not plan:
            raise SendError(_("There is nothing to send."))
        for start in range(0, len(text), TEXT_LIMIT):
            key = f"text:{start}"
            if message.pending(key):
                yield SentPart(key, _message_id(meta.graph("POST", path, token=token, product=PRODUCT, json_body={
                    "recipient": recipient, "messaging_type": "RESPONSE",
                    "message": {"text": text[start:start + TEXT_LIMIT]}})))
        for part, kind in plan:
            if not message.pending(part.key):
                continue
            with part.open_file() as handle:
                answer = meta.graph("POST", path, token=token, product=PRODUCT, data={
                    "recipient": json.dumps(recipient), "messaging_type": "RESPONSE",
                    "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": True}}}),
                }, files={"filedata": (part.name, handle, part.content_type or "application/octet-stream")})
            yield SentPart(part.key, _message_id(answer))


def _message_id(answer: dict) -> str | None:
    return str(answer["message_id"]) if answer.get("message_id") else None


def _kind_for(part: OutboundPart) -> str:
    """Messenger attachment type: a voice note is an audio attachment; anything unusual is a file."""
    if part.size > FILE_LIMIT:
        raise SendError(_("%(name)s is larger than Messenger's 25 MB limit.") % {"name": part.name})
    # By the file's own type: a message may carry a document and a photo together.
    if part.ctype.startswith("audio/"):
        return "audio"
    if part.ctype.startswith("image/"):
        return "image"
    return "file"


def _config(channel: OutboundChannel | Channel, key: str) -> str:
    value = meta.text_of(channel.config.get(key))
    if not value:
        raise SendError(_("This Messenger channel has no %(key)s configured.") % {"key": key})
    return value


registry.register(MessengerConnector())
