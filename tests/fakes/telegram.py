"""A fake Telegram Bot API, plus Update payloads shaped like the Bot API documentation's objects."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from .server import FakeServer, Recorded, Reply

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Parley Test", "username": "parley_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
SEND_FIELDS = {"sendVoice": "voice", "sendAudio": "audio", "sendDocument": "document", "sendPhoto": "photo"}
_METHOD = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
_FILE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


def error(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


def ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


class FakeTelegram(FakeServer):
    """Answers getMe, setWebhook, getWebhookInfo, getFile, the send methods and file downloads."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = {BOT_TOKEN: BOT}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.webhook: dict[str, Any] = {}
        self._ids = itertools.count(1000)

    def add_file(self, file_id: str, file_path: str, data: bytes) -> None:
        self.files[file_id] = (file_path, data)

    def method_calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(f"/{method}")]

    def handle(self, request: Recorded) -> Reply:
        if match := _FILE.match(request.path):
            if match["token"] not in self.tokens:
                return Reply(401, b"Unauthorized", content_type="text/plain")
            for path, data in self.files.values():
                if path == match["path"]:
                    return Reply(200, data, content_type="application/octet-stream")
            return Reply(404, b"Not Found", content_type="text/plain")
        match = _METHOD.match(request.path)
        if match is None:
            return error(404, "Not Found")
        if match["token"] not in self.tokens:
            return error(401, "Unauthorized")
        params = request.params()
        method = match["method"]
        if method == "getMe":
            return ok(self.tokens[match["token"]])
        if method == "setWebhook":
            if not str(params.get("url", "")).startswith(("https://", "http://")):
                return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            self.webhook = dict(params)
            return ok(True)
        if method == "getWebhookInfo":
            return ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                       "pending_update_count": 0})
        if method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.files:
                return error(400, "Bad Request: invalid file_id")
            path, data = self.files[file_id]
            return ok({"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(data),
                       "file_path": path})
        if method == "sendMessage":
            if not params.get("chat_id") or not params.get("text"):
                return error(400, "Bad Request: message text is empty")
            return ok(self._message(params, text=params["text"]))
        if method in SEND_FIELDS:
            _fields, files = request.form()
            field = SEND_FIELDS[method]
            if field not in files:
                return error(400, f"Bad Request: there is no {field} in the request")
            name, ctype, data = files[field]
            media = {"file_id": f"sent-{field}", "file_unique_id": "s", "file_size": len(data), "mime_type": ctype}
            return ok(self._message(params, **{field: [media] if field == "photo" else media}))
        return error(404, "Not Found")

    def _message(self, params: dict, **content: Any) -> dict:
        return {"message_id": next(self._ids), "from": BOT, "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"}, **content}


# ---- Update payloads, shaped like https://core.telegram.org/bots/api#update ----

USER = {"id": 111222333, "is_bot": False, "first_name": "Ana", "last_name": "García", "username": "ana_g",
        "language_code": "es"}
CHAT = {"id": 111222333, "first_name": "Ana", "last_name": "García", "username": "ana_g", "type": "private"}


def message(message_id: int = 42, **content: Any) -> dict:
    return {"message_id": message_id, "from": USER, "chat": CHAT, "date": 1735689600, **content}


def update(update_id: int = 10000, **kinds: Any) -> dict:
    return {"update_id": update_id, **kinds}


def text_update(text: str = "Hola, ¿tienen envío a Sevilla?", *, update_id: int = 10000, message_id: int = 42) -> dict:
    return update(update_id, message=message(message_id, text=text))


def voice_update(file_id: str = "AwACAgIAAxkBAAIBZ2VvoiceFileId", **kw: Any) -> dict:
    return update(kw.pop("update_id", 10001), message=message(kw.pop("message_id", 43), voice={
        "file_id": file_id, "file_unique_id": "AgADvoice", "duration": 3, "mime_type": "audio/ogg",
        "file_size": 5120}))


def audio_update(file_id: str = "CQACAgIAAxkBAAIBaGVaudioFileId") -> dict:
    return update(10002, message=message(44, audio={
        "file_id": file_id, "file_unique_id": "AgADaudio", "duration": 184, "performer": "Band", "title": "Song",
        "file_name": "song.mp3", "mime_type": "audio/mpeg", "file_size": 2949120}))


def document_update(file_id: str = "BQACAgIAAxkBAAIBaWVdocumentFileId") -> dict:
    return update(10003, message=message(45, caption="La factura", document={
        "file_id": file_id, "file_unique_id": "AgADdoc", "file_name": "factura.pdf", "mime_type": "application/pdf",
        "file_size": 48213}))


def photo_update(file_id: str = "AgACAgIAAxkBAAIBamVphotoLarge") -> dict:
    sizes = [
        {"file_id": "AgACAgIAAxkBAAIBamVphotoSmall", "file_unique_id": "s", "file_size": 1520, "width": 90,
         "height": 67},
        {"file_id": "AgACAgIAAxkBAAIBamVphotoMedium", "file_unique_id": "m", "file_size": 21080, "width": 320,
         "height": 240},
        {"file_id": file_id, "file_unique_id": "l", "file_size": 80420, "width": 1280, "height": 960},
    ]
    return update(10004, message=message(46, photo=sizes, caption="Así llegó"))


def edited_update(text: str = "Hola, ¿tienen envío a Cádiz?") -> dict:
    return update(10005, edited_message=message(42, text=text, edit_date=1735689700))
