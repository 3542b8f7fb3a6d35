"""Telegram Bot API: updates in (secret-token header); sendMessage/Voice/Audio/Document/Photo out."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from . import http, payloads
from .base import (
    Capabilities,
    Connector,
    InboundAttachment,
    InboundMessage,
    NotAuthentic,
    OutboundChannel,
    OutboundMessage,
    OutboundPart,
    SendError,
    SentPart,
    registry,
)
from .http import Refusal, fetch_url, retry_after_seconds
from .payloads import telegram as schema
from .payloads.common import moment

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Attachment, Channel

FILE_SCHEME = "telegram://file/"
CAPTION_LIMIT = 1024
UPLOAD_LIMIT = 50 * 1024 * 1024  # bots upload up to 50 MB
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves up to 20 MB
PHOTO_LIMIT = 10 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
VOICE_TYPES = frozenset({"audio/ogg", "audio/opus", "audio/mpeg", "audio/mp4", "audio/x-m4a"})
AUDIO_TYPES = frozenset({"audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a", "audio/m4a"})


def api_url(token: str, method: str) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL}/bot{token}/{method}"


def call(token: str, method: str, *, data: dict | None = None, files: dict | None = None, action: str = "") -> Any:
    """Call a Bot API method; its `result`, or SendError / TransientSendError in plain words.

    The base URL is the operator's setting (Telegram or a local Bot API server), so no SSRF guard here.
    """

    def read(status: int, body: dict) -> Refusal | None:
        if 200 <= status < 300 and body.get("ok"):
            return None
        description = str(body.get("description") or "")[:300]
        code = body.get("error_code") or status
        if code == 429 or status == 429 or status >= 500:
            params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
            return Refusal(_("Telegram is busy (%(why)s); it will be retried.") % {"why": description or status},
                           transient=True, retry_after=retry_after_seconds(str(params.get("retry_after") or "")))
        return Refusal(explain(code, description, action=action))

    if files:
        answer = http.call("POST", api_url(token, method), who="Telegram", guard=False, data=data, files=files,
                           read=read)
    else:
        answer = http.call("POST", api_url(token, method), who="Telegram", guard=False, json=data or {}, read=read)
    return answer.get("result")


def explain(code: Any, description: str, *, action: str = "") -> str:
    """A plain-words reason for a Bot API error; `action` names what was refused ("the message" by default)."""
    action = action or _("the message")
    lowered = description.lower()
    if code == 401 or "unauthorized" in lowered:
        return _("Telegram refused the bot token (it may have been revoked). An admin needs to reconnect the "
                 "channel with the token from @BotFather.")
    if "blocked by the user" in lowered:
        return _("Not delivered: the contact has blocked the bot.")
    if "chat not found" in lowered or "user is deactivated" in lowered:
        return _("Not delivered: Telegram no longer knows this chat (the contact may have deleted it).")
    if "too big" in lowered or code == 413:
        return _("Telegram refused the file: it is too big.")
    if code == 404:
        return _("Telegram does not know this bot token. Copy it again from @BotFather.")
    if description:
        return _("Telegram refused %(action)s: %(why)s") % {"action": action, "why": description}
    return _("Telegram refused %(action)s (error %(code)s).") % {"action": action, "code": code}


def _file(obj: schema.File, default_name: str, default_type: str) -> InboundAttachment:
    return InboundAttachment(url=FILE_SCHEME + obj.file_id, name=obj.file_name or default_name,
                             content_type=obj.mime_type or default_type)


def _content(msg: schema.Message) -> tuple[str, list[InboundAttachment], str]:
    """(kind, attachments, text) of a Telegram Message object."""
    caption = msg.caption
    if msg.voice:
        return "voice", [_file(msg.voice, "voice.ogg", "audio/ogg")], caption
    if msg.audio:
        return "audio", [_file(msg.audio, "audio.mp3", "audio/mpeg")], caption
    if msg.photo:
        largest = max(msg.photo, key=lambda p: (p.file_size or 0, p.width or 0))
        return "image", [_file(largest, "photo.jpg", "image/jpeg")], caption
    if msg.document:
        return "file", [_file(msg.document, "document", "application/octet-stream")], caption
    for media, name in ((msg.video, "video.mp4"), (msg.video_note, "video_note.mp4"),
                        (msg.animation, "animation.mp4")):
        if media:
            return "file", [_file(media, name, "video/mp4")], caption
    if msg.sticker:
        return "text", [], msg.sticker.emoji or _("[sticker]")
    if msg.contact:
        return "text", [], _("[contact] %(name)s %(phone)s") % {
            "name": msg.contact.first_name, "phone": msg.contact.phone_number}
    if msg.location:
        return "text", [], _("[location] %(lat)s, %(lon)s") % {"lat": msg.location.latitude,
                                                                "lon": msg.location.longitude}
    return "text", [], msg.text or caption


class TelegramConnector(Connector):
    kind = "telegram"
    capabilities = Capabilities(voice_note=True, audio=True, file=True, image=True, max_file_bytes=UPLOAD_LIMIT,
                                voice_note_formats=("ogg/opus",))

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> None:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not channel.secret or not hmac.compare_digest(given.encode(), channel.secret.encode()):
            raise NotAuthentic("Wrong or missing X-Telegram-Bot-Api-Secret-Token.")

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[InboundMessage]:
        update = payloads.parse(schema.Update, body)
        edited = update.message is None and update.edited_message is not None
        msg = update.edited_message if edited else update.message
        if msg is None:
            return []  # other update kinds (callback queries, channel posts…) are not conversations
        sender = msg.sender or schema.User()
        if sender.is_bot:
            return []
        kind, attachments, text = _content(msg)
        external_id = f"{msg.chat.id}:{msg.message_id}"
        if edited:
            # The edit's own time keeps each edit distinct; a bogus one falls back to the update's id.
            external_id += f":edit:{msg.edit_date if moment(msg.edit_date) else update.update_id}"
            text = _("(edited) %(text)s") % {"text": text}
        if not text.strip() and not attachments:
            return []
        name = " ".join(filter(None, (sender.first_name, sender.last_name)))
        if msg.chat.type in {"group", "supergroup", "channel"}:
            name = msg.chat.title or name
        return [InboundMessage(
            external_contact_id=str(msg.chat.id), external_message_id=external_id, text=text,
            contact_name=name or sender.username, kind=kind, attachments=tuple(attachments),
            sent_at=moment(msg.edit_date if edited else msg.date),
        )]

    def fetch_media(self, channel: Channel, attachment: Attachment) -> tuple[bytes, str]:
        """Resolve file_id with getFile, then download <base>/file/bot<token>/<file_path>."""

        if not attachment.source_url.startswith(FILE_SCHEME):
            return fetch_url(attachment.source_url)
        token = _token(channel)
        result = call(token, "getFile", data={"file_id": attachment.source_url.removeprefix(FILE_SCHEME)})
        file_path = result.get("file_path") if isinstance(result, dict) else None
        if not file_path:
            raise SendError(_("Telegram did not give a file path for this file."))
        url = f"{settings.TELEGRAM_API_BASE_URL}/file/bot{token}/{file_path}"
        return fetch_url(url, max_bytes=DOWNLOAD_LIMIT, guard=False)

    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """The text with sendMessage (or as the first file's caption), then each file by its own type."""
        token = _token(message.channel)
        chat_id = message.recipient_id
        if not chat_id:
            raise SendError(_("This contact has no Telegram chat to answer to."))
        plan = [(part, *_method_for(part)) for part in message.files]  # every file checked before anything goes
        text, caption = message.text, ""
        if plan and len(text) <= CAPTION_LIMIT:
            caption, text = text, ""
        if text.strip() or not plan:
            if not text.strip():
                raise SendError(_("There is nothing to send."))
            if message.pending("text"):
                yield SentPart("text", _sent_id(chat_id, call(token, "sendMessage",
                                                              data={"chat_id": chat_id, "text": text})))
        for i, (part, method, field) in enumerate(plan):
            if not message.pending(part.key):
                continue
            data = {"chat_id": chat_id}
            if i == 0 and caption:
                data["caption"] = caption
            with part.open_file() as handle:
                files = {field: (part.name, handle, part.content_type or "application/octet-stream")}
                sent = SentPart(part.key, _sent_id(chat_id, call(token, method, data=data, files=files)))
            yield sent


def _sent_id(chat_id: str, result: Any) -> str | None:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return f"{chat_id}:{result['message_id']}"
    return None


def _method_for(part: OutboundPart) -> tuple[str, str]:
    """(Bot API method, multipart field) for one file."""
    if part.size > UPLOAD_LIMIT:
        raise SendError(_("%(name)s is larger than Telegram's 50 MB limit for bots.") % {"name": part.name})
    if part.kind == "voice" and part.ctype in VOICE_TYPES:
        return "sendVoice", "voice"
    # Otherwise each file by its own type: a message may carry a PDF first and a photo second.
    if part.ctype in AUDIO_TYPES:
        return "sendAudio", "audio"
    if part.ctype in PHOTO_TYPES and part.size <= PHOTO_LIMIT:
        return "sendPhoto", "photo"
    return "sendDocument", "document"


def _token(channel: OutboundChannel | Channel) -> str:
    token = str(channel.config.get("bot_token") or "")
    if not token:
        raise SendError(_("This Telegram channel has no bot token."))
    return token


registry.register(TelegramConnector())
