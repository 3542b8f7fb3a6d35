"""WhatsApp Cloud API: signed webhooks in (messages and statuses), /<phone_number_id>/messages out."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from . import meta
from .base import (
    BadPayload,
    Capabilities,
    InboundAttachment,
    InboundMessage,
    SendError,
    SendResult,
    StatusReceipt,
    registry,
    send_part,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Attachment, Channel, Message

PRODUCT = "WhatsApp"
MEDIA_SCHEME = "whatsapp://media/"
CAPTION_LIMIT = 1024
AUDIO_LIMIT = 16 * 1024 * 1024
IMAGE_LIMIT = 5 * 1024 * 1024
DOCUMENT_LIMIT = 100 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
AUDIO_TYPES = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}


def _media(obj: dict, where: str, default_name: str) -> InboundAttachment:
    media_id = obj.get("id")
    if not isinstance(media_id, str | int) or not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", str(media_id)):
        raise BadPayload(_("%(field)s is required.") % {"field": f"{where}.id"}, field=f"{where}.id")
    ctype = meta.text_of(obj.get("mime_type")).split(";")[0].strip()
    name = meta.text_of(obj.get("filename"))
    if not name:
        ext = ".ogg" if ctype == "audio/ogg" else (mimetypes.guess_extension(ctype) or "") if ctype else ""
        name = default_name + ext
    return InboundAttachment(url=f"{MEDIA_SCHEME}{media_id}", name=name, content_type=ctype)


def _content(msg: dict, where: str) -> tuple[str, list[InboundAttachment], str]:
    """(kind, attachments, text) of one WhatsApp inbound message object."""
    kind = meta.text_of(msg.get("type"))
    body = meta.as_dict(msg.get(kind), f"{where}.{kind}") if kind and isinstance(msg.get(kind), dict) else {}
    caption = meta.text_of(body.get("caption"))
    if kind == "text":
        return "text", [], meta.text_of(body.get("body"))
    if kind == "audio":
        voice = bool(body.get("voice"))
        return ("voice" if voice else "audio"), [_media(body, f"{where}.audio", "voice" if voice else "audio")], ""
    if kind == "image":
        return "image", [_media(body, f"{where}.image", "image")], caption
    if kind == "sticker":
        return "image", [_media(body, f"{where}.sticker", "sticker")], ""
    if kind in {"document", "video"}:
        return "file", [_media(body, f"{where}.{kind}", kind)], caption
    if kind == "button":
        return "text", [], meta.text_of(body.get("text"))
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return "text", [], meta.text_of(reply.get("title") if isinstance(reply, dict) else "")
    if kind == "location":
        return "text", [], _("[location] %(name)s %(lat)s, %(lon)s") % {
            "name": meta.text_of(body.get("name")), "lat": body.get("latitude"), "lon": body.get("longitude")}
    if kind == "reaction":
        return "text", [], _("[reaction] %(emoji)s") % {"emoji": meta.text_of(body.get("emoji"))}
    if kind == "contacts":
        names = [meta.text_of((c.get("name") or {}).get("formatted_name")) for c in msg.get("contacts") or []
                 if isinstance(c, dict) and isinstance(c.get("name"), dict)]
        return "text", [], _("[contact] %(names)s") % {"names": ", ".join(names)}
    return "text", [], _("[a %(type)s message that Parley cannot show]") % {"type": kind or "?"}


def _parse_message(msg: Any, where: str, names: dict[str, str]) -> InboundMessage | None:
    msg = meta.as_dict(msg, where)
    sender, msg_id = meta.text_of(msg.get("from")), meta.text_of(msg.get("id"))
    if not sender:
        raise BadPayload(_("%(field)s is required.") % {"field": f"{where}.from"}, field=f"{where}.from")
    if not msg_id:
        raise BadPayload(_("%(field)s is required.") % {"field": f"{where}.id"}, field=f"{where}.id")
    kind, attachments, text = _content(msg, where)
    if not text.strip() and not attachments:
        return None
    try:
        sent_at = datetime.fromtimestamp(int(msg.get("timestamp")), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        sent_at = None
    return InboundMessage(
        external_contact_id=sender, external_message_id=msg_id, text=text, contact_name=names.get(sender, ""),
        phone="+" + sender if sender.isdigit() else "", kind=kind, attachments=tuple(attachments), sent_at=sent_at,
    )


def _parse_status(status: Any, where: str) -> StatusReceipt | None:
    status = meta.as_dict(status, where)
    ours = STATUSES.get(meta.text_of(status.get("status")))
    msg_id = meta.text_of(status.get("id"))
    if ours is None or not msg_id:
        return None
    reason = ""
    if ours == "failed":
        errors = [e for e in meta.as_list(status.get("errors"), f"{where}.errors") if isinstance(e, dict)]
        first = errors[0] if errors else {}
        details = first.get("error_data", {}).get("details") if isinstance(first.get("error_data"), dict) else ""
        reason = meta.explain(meta.as_int(first.get("code")), product=PRODUCT,
                              message=meta.text_of(details or first.get("message") or first.get("title"))[:300])
    return StatusReceipt(external_message_id=msg_id, status=ours, reason=reason)


class WhatsAppConnector(meta.MetaConnector):
    kind = "whatsapp"
    capabilities = Capabilities(voice_note=True, audio=True, file=True, image=True, max_file_bytes=DOCUMENT_LIMIT,
                                voice_note_formats=("ogg/opus",))
    # Per-kind ceilings WhatsApp enforces (max_file_bytes above is the largest: documents).
    limits = {"audio": AUDIO_LIMIT, "voice": AUDIO_LIMIT, "image": IMAGE_LIMIT, "file": DOCUMENT_LIMIT}

    def parse(self, request: HttpRequest, channel: Channel) -> list[InboundMessage | StatusReceipt]:
        payload = meta.load_json(request, "whatsapp_business_account")
        ours = meta.text_of(channel.config.get("phone_number_id"))
        items: list[InboundMessage | StatusReceipt] = []
        for i, entry in enumerate(payload["entry"]):
            entry = meta.as_dict(entry, f"entry[{i}]")
            for j, change in enumerate(meta.as_list(entry.get("changes"), f"entry[{i}].changes")):
                where = f"entry[{i}].changes[{j}].value"
                change = meta.as_dict(change, f"entry[{i}].changes[{j}]")
                if change.get("field", "messages") != "messages":
                    continue
                value = meta.as_dict(change.get("value"), where)
                number = meta.text_of(meta.as_dict(value.get("metadata"), f"{where}.metadata").get("phone_number_id"))
                if ours and number and number != ours:
                    continue  # another number of the same app: not this channel's
                names = {}
                for contact in meta.as_list(value.get("contacts"), f"{where}.contacts"):
                    if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
                        names[meta.text_of(contact.get("wa_id"))] = meta.text_of(contact["profile"].get("name"))
                for k, msg in enumerate(meta.as_list(value.get("messages"), f"{where}.messages")):
                    parsed = _parse_message(msg, f"{where}.messages[{k}]", names)
                    if parsed is not None:
                        items.append(parsed)
                for k, status in enumerate(meta.as_list(value.get("statuses"), f"{where}.statuses")):
                    receipt = _parse_status(status, f"{where}.statuses[{k}]")
                    if receipt is not None:
                        items.append(receipt)
        return items

    def fetch_media(self, channel: Channel, attachment: Attachment) -> tuple[bytes, str]:
        """GET /<media-id> for a short-lived download URL, then download it with the bearer token."""
        from inbox.services.media import fetch_url

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

    def send(self, channel: Channel, message: Message) -> SendResult:
        token, number = _config(channel, "access_token"), _config(channel, "phone_number_id")
        identity = message.conversation.contact.identities.filter(channel=channel).first()
        if identity is None:
            raise SendError(_("This contact has no WhatsApp number to answer to."))
        attachments = [(a, _kind_for(message.kind, a)) for a in message.attachments.all()]
        text = message.body or ""
        caption = ""
        if attachments and attachments[0][1][0] in {"image", "document"} and len(text) <= CAPTION_LIMIT:
            caption, text = text, ""
        ids: list[str] = []

        def post(key: str, kind: str, body: Callable[[], dict]) -> None:
            def call() -> str | None:
                answer = meta.graph("POST", f"{number}/messages", token=token, product=PRODUCT, json_body={
                    "messaging_product": "whatsapp", "recipient_type": "individual", "to": identity.external_id,
                    "type": kind, kind: body()})
                sent = answer.get("messages") if isinstance(answer.get("messages"), list) else []
                return str(sent[0]["id"]) if sent and isinstance(sent[0], dict) and sent[0].get("id") else None

            sent_id = send_part(message, key, call)
            if sent_id:
                ids.append(sent_id)

        if text.strip():
            post("text", "text", lambda: {"body": text, "preview_url": False})
        elif not attachments:
            raise SendError(_("There is nothing to send."))
        for i, (attachment, (kind, voice)) in enumerate(attachments):
            def body(attachment=attachment, kind=kind, voice=voice, first=i == 0) -> dict[str, Any]:
                result: dict[str, Any] = {"id": self._upload(token, number, attachment)}  # only when sent
                if kind == "audio" and voice:
                    result["voice"] = True
                if kind == "document":
                    result["filename"] = attachment.name
                if first and caption and kind in {"image", "document"}:
                    result["caption"] = caption
                return result

            post(f"file:{attachment.pk}", kind, body)
        return SendResult(external_id=ids[0] if ids else None)

    @staticmethod
    def _upload(token: str, number: str, attachment: Attachment) -> str:
        """POST /<phone_number_id>/media (multipart); the media id to send."""
        if not attachment.file:
            raise SendError(_("%(name)s has no stored file to send.") % {"name": attachment.name})
        ctype = _ctype(attachment) or "application/octet-stream"
        with attachment.file.open("rb") as handle:
            answer = meta.graph("POST", f"{number}/media", token=token, product=PRODUCT,
                                data={"messaging_product": "whatsapp", "type": ctype},
                                files={"file": (attachment.name, handle, ctype)})
        if not answer.get("id"):
            raise SendError(_("WhatsApp did not accept the upload of %(name)s.") % {"name": attachment.name})
        return str(answer["id"])


def _ctype(attachment: Attachment) -> str:
    return (attachment.content_type or "").split(";")[0].strip().lower()


def _kind_for(kind: str, attachment: Attachment) -> tuple[str, bool]:
    """(WhatsApp message type, voice flag) for one attachment, honouring WhatsApp's formats and size limits."""
    ctype = _ctype(attachment)
    size = attachment.size or (attachment.file.size if attachment.file else 0)
    if size > DOCUMENT_LIMIT:
        raise SendError(_("%(name)s is larger than WhatsApp's 100 MB limit.") % {"name": attachment.name})
    # Each file by its own type (a message may mix a document and a photo); voice only for voice notes.
    if ctype in AUDIO_TYPES and size <= AUDIO_LIMIT:
        return "audio", kind == "voice" and ctype == "audio/ogg"
    if ctype in IMAGE_TYPES and size <= IMAGE_LIMIT:
        return "image", False
    return "document", False


def _config(channel: Channel, key: str) -> str:
    value = meta.text_of(channel.config.get(key))
    if not value:
        raise SendError(_("This WhatsApp channel has no %(key)s configured.") % {"key": key})
    return value


registry.register(WhatsAppConnector())
