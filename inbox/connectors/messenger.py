"""Messenger Platform: signed page webhooks in, the Send API out. No voice-note type: recordings go as audio."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import meta
from .base import (
    BadPayload,
    Capabilities,
    InboundAttachment,
    InboundMessage,
    ReadUpTo,
    SendError,
    SendResult,
    StatusReceipt,
    registry,
    send_part,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Attachment, Channel, Message

PRODUCT = "Messenger"
TEXT_LIMIT = 2000
FILE_LIMIT = 25 * 1024 * 1024
KINDS = {"audio": "audio", "image": "image", "video": "file", "file": "file"}
DEFAULT_NAMES = {"audio": "audio.mp4", "image": "image.jpg", "video": "video.mp4", "file": "file"}


def _attachments(message: dict, where: str) -> tuple[str, list[InboundAttachment], list[str]]:
    """(kind of the first media attachment, media attachments, texts from links/locations)."""
    kind, media, texts = "", [], []
    for i, item in enumerate(meta.as_list(message.get("attachments"), f"{where}.attachments")):
        item = meta.as_dict(item, f"{where}.attachments[{i}]")
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        url = meta.text_of(payload.get("url"))
        atype = meta.text_of(item.get("type"))
        if atype in KINDS and url:
            if not url.startswith(("http://", "https://")) or len(url) > 1000:
                field = f"{where}.attachments[{i}].payload.url"
                raise BadPayload(_("%(field)s must be an http(s) URL.") % {"field": field}, field=field)
            kind = kind or KINDS[atype]
            media.append(InboundAttachment(url=url, name=meta.guess_name(url, DEFAULT_NAMES[atype])))
        elif atype == "location":
            coords = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else {}
            texts.append(_("[location] %(lat)s, %(lon)s") % {"lat": coords.get("lat"), "lon": coords.get("long")})
        elif url or item.get("title"):
            texts.append(" ".join(filter(None, [meta.text_of(item.get("title")), url])))
    return kind, media, texts


def _parse_event(event: Any, where: str) -> list[InboundMessage | StatusReceipt | ReadUpTo]:
    event = meta.as_dict(event, where)
    sender = meta.text_of(meta.as_dict(event.get("sender"), f"{where}.sender").get("id"))
    timestamp = event.get("timestamp")
    sent_at = datetime.fromtimestamp(timestamp / 1000, tz=UTC) if isinstance(timestamp, int) else None
    if isinstance(event.get("delivery"), dict):
        mids = meta.as_list(event["delivery"].get("mids"), f"{where}.delivery.mids")
        return [StatusReceipt(external_message_id=str(mid), status="delivered") for mid in mids if mid]
    if isinstance(event.get("postback"), dict) and sender:
        postback = event["postback"]
        title = meta.text_of(postback.get("title"))
        mid = meta.text_of(postback.get("mid")) or f"postback:{sender}:{timestamp}"
        return [InboundMessage(external_contact_id=sender, external_message_id=mid, text=title, sent_at=sent_at)] \
            if title else []
    if isinstance(event.get("read"), dict) and sender:
        watermark = event["read"].get("watermark")
        if isinstance(watermark, int) and not isinstance(watermark, bool):
            return [ReadUpTo(external_contact_id=sender, until=datetime.fromtimestamp(watermark / 1000, tz=UTC))]
        return []
    if "message" not in event:
        return []  # reactions, optins…
    message = meta.as_dict(event.get("message"), f"{where}.message")
    if message.get("is_echo"):
        return []  # our own page's messages echoed back
    if not sender:
        raise BadPayload(_("%(field)s is required.") % {"field": f"{where}.sender.id"}, field=f"{where}.sender.id")
    mid = meta.text_of(message.get("mid"))
    if not mid:
        raise BadPayload(_("%(field)s is required.") % {"field": f"{where}.message.mid"}, field=f"{where}.message.mid")
    kind, media, texts = _attachments(message, f"{where}.message")
    text = "\n".join(filter(None, [meta.text_of(message.get("text")), *texts]))
    if not text.strip() and not media:
        return []
    return [InboundMessage(external_contact_id=sender, external_message_id=mid, text=text,
                           kind=kind if media else "text",
                           attachments=tuple(media), sent_at=sent_at)]


class MessengerConnector(meta.MetaConnector):
    kind = "messenger"
    # Messenger has no voice-note type: a recording is sent as an audio attachment.
    capabilities = Capabilities(voice_note=False, audio=True, file=True, image=True, max_file_bytes=FILE_LIMIT)

    def parse(self, request: HttpRequest, channel: Channel) -> list[InboundMessage | StatusReceipt]:
        payload = meta.load_json(request, "page")
        page_id = meta.text_of(channel.config.get("page_id"))
        items: list[InboundMessage | StatusReceipt] = []
        for i, entry in enumerate(payload["entry"]):
            entry = meta.as_dict(entry, f"entry[{i}]")
            if page_id and entry.get("id") is not None and meta.text_of(entry.get("id")) != page_id:
                continue  # another page of the same app: not this channel's
            for j, event in enumerate(meta.as_list(entry.get("messaging"), f"entry[{i}].messaging")):
                items.extend(_parse_event(event, f"entry[{i}].messaging[{j}]"))
        return items

    def fetch_profile(self, channel: Channel, external_contact_id: str) -> dict[str, str]:
        """The person's name from the User Profile API (webhooks carry only the page-scoped id)."""
        answer = meta.graph("GET", external_contact_id, token=_config(channel, "access_token"), product=PRODUCT,
                            params={"fields": "first_name,last_name"})
        name = " ".join(filter(None, [meta.text_of(answer.get("first_name")), meta.text_of(answer.get("last_name"))]))
        return {"name": name}

    def send(self, channel: Channel, message: Message) -> SendResult:
        token = _config(channel, "access_token")
        page_id = meta.text_of(channel.config.get("page_id"))
        path = f"{page_id}/messages" if page_id else "me/messages"
        identity = message.conversation.contact.identities.filter(channel=channel).first()
        if identity is None:
            raise SendError(_("This contact has no Messenger conversation to answer to."))
        recipient = {"id": identity.external_id}
        attachments = list(message.attachments.all())
        text = (message.body or "").strip()
        if not text and not attachments:
            raise SendError(_("There is nothing to send."))
        ids: list[str] = []
        for start in range(0, len(text), TEXT_LIMIT):
            chunk = text[start:start + TEXT_LIMIT]
            _collect(send_part(message, f"text:{start}", lambda chunk=chunk: _message_id(meta.graph(
                "POST", path, token=token, product=PRODUCT, json_body={
                    "recipient": recipient, "messaging_type": "RESPONSE", "message": {"text": chunk}}))), ids)
        for attachment in attachments:
            kind = _kind_for(message.kind, attachment)
            if not attachment.file:
                raise SendError(_("%(name)s has no stored file to send.") % {"name": attachment.name})
            ctype = attachment.content_type or "application/octet-stream"

            def upload(attachment=attachment, kind=kind, ctype=ctype) -> str | None:
                with attachment.file.open("rb") as handle:
                    return _message_id(meta.graph("POST", path, token=token, product=PRODUCT, data={
                        "recipient": json.dumps(recipient), "messaging_type": "RESPONSE",
                        "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": True}}}),
                    }, files={"filedata": (attachment.name, handle, ctype)}))

            _collect(send_part(message, f"file:{attachment.pk}", upload), ids)
        return SendResult(external_id=ids[0] if ids else None)


def _message_id(answer: dict) -> str | None:
    return str(answer["message_id"]) if answer.get("message_id") else None


def _collect(sent_id: str | None, ids: list[str]) -> None:
    if sent_id:
        ids.append(sent_id)


def _kind_for(kind: str, attachment: Attachment) -> str:
    """Messenger attachment type: a voice note is an audio attachment; anything unusual is a file."""
    ctype = (attachment.content_type or "").split(";")[0].strip().lower()
    size = attachment.size or (attachment.file.size if attachment.file else 0)
    if size > FILE_LIMIT:
        raise SendError(_("%(name)s is larger than Messenger's 25 MB limit.") % {"name": attachment.name})
    # By the file's own type: a message may carry a document and a photo together.
    if ctype.startswith("audio/"):
        return "audio"
    if ctype.startswith("image/"):
        return "image"
    return "file"


def _config(channel: Channel, key: str) -> str:
    value = meta.text_of(channel.config.get(key))
    if not value:
        raise SendError(_("This Messenger channel has no %(key)s configured.") % {"key": key})
    return value


registry.register(MessengerConnector())
