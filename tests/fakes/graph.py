"""A fake Meta Graph API (WhatsApp Cloud API + Messenger Send API), plus webhook payloads from Meta's docs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from typing import Any

from .server import FakeServer, Recorded, Reply

VERSION = "v21.0"
ACCESS_TOKEN = "EAAJB-test-system-user-token"
PAGE_TOKEN = "EAAJB-test-page-token"
APP_SECRET = "a1b2c3d4e5f6-app-secret"
VERIFY_TOKEN = "parley-verify-me"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "+1 555-010-0199"
WABA_ID = "102290129340398"
PAGE_ID = "1122334455667788"
PSID = "6655443322110099"
WA_ID = "34600111222"


def graph_error(message: str, code: int, *, status: int = 400, subcode: int | None = None,
                details: str = "", kind: str = "OAuthException", headers: dict | None = None) -> Reply:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Reply(status, {"error": error}, headers=headers or {})


def window_error() -> Reply:
    return graph_error("(#131047) Re-engagement message", 131047, kind="OAuthException",
                       details="Message failed to send because more than 24 hours have passed since the customer "
                               "last replied to this number.")


class FakeGraph(FakeServer):
    """Answers object GETs, media lookups/downloads/uploads and /messages for WhatsApp and Messenger."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = {ACCESS_TOKEN, PAGE_TOKEN}
        self.phone_numbers = {PHONE_NUMBER_ID: {"display_phone_number": DISPLAY_NUMBER,
                                                "verified_name": "Parley Demo", "id": PHONE_NUMBER_ID}}
        self.pages = {PAGE_ID: {"name": "Parley Demo Page", "id": PAGE_ID}}
        # Messenger's User Profile API: GET /<PSID>?fields=first_name,last_name
        self.profiles = {PSID: {"first_name": "Lucía", "last_name": "Pérez", "id": PSID}}
        self.media: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)

    @property
    def base(self) -> str:
        return f"{self.url}/{VERSION}"

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        self.media[media_id] = (data, mime_type)

    def handle(self, request: Recorded) -> Reply:
        if request.bearer not in self.tokens:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190, status=401)
        parts = request.path.strip("/").split("/")
        if parts[0] == "media-download" and len(parts) == 2 and parts[1] in self.media:
            data, mime = self.media[parts[1]]
            return Reply(200, data, content_type=mime)
        if parts[0] != VERSION or len(parts) < 2:
            return graph_error("Unknown path components", 2500)
        object_id, edge = parts[1], (parts[2] if len(parts) > 2 else "")
        if request.method == "GET" and not edge:
            return self._get(object_id)
        if request.method == "POST" and edge == "media" and object_id in self.phone_numbers:
            fields, files = request.form()
            if fields.get("messaging_product") != "whatsapp" or "file" not in files:
                return graph_error("(#100) The parameter messaging_product is required.", 100)
            media_id = f"{next(self._ids):016d}"
            name, ctype, data = files["file"]
            self.media[media_id] = (data, ctype)
            return Reply(200, {"id": media_id})
        if request.method == "POST" and edge == "messages" and object_id in self.phone_numbers:
            body = request.json or {}
            if body.get("messaging_product") != "whatsapp" or body.get("type") not in body:
                return graph_error("(#100) Invalid parameter", 100)
            return Reply(200, {"messaging_product": "whatsapp",
                               "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                               "messages": [{"id": f"wamid.HBgLMzQ2MDAxMTEyMjIVAgARGBI{next(self._ids):06d}"}]})
        if request.method == "POST" and edge == "messages" and (object_id in self.pages or object_id == "me"):
            params = request.params()
            recipient = params.get("recipient")
            recipient = json.loads(recipient) if isinstance(recipient, str) else recipient
            if not isinstance(recipient, dict) or not recipient.get("id"):
                return graph_error("(#100) The parameter recipient is required", 100)
            return Reply(200, {"recipient_id": recipient["id"], "message_id": f"m_AG5Hz2U{next(self._ids):06d}"})
        return graph_error(f"Unsupported request to {request.path}", 100, subcode=33, kind="GraphMethodException")

    def _get(self, object_id: str) -> Reply:
        if object_id in self.phone_numbers:
            return Reply(200, self.phone_numbers[object_id])
        if object_id in self.pages:
            return Reply(200, self.pages[object_id])
        if object_id in self.profiles:
            return Reply(200, self.profiles[object_id])
        if object_id in self.media:
            data, mime = self.media[object_id]
            return Reply(200, {"messaging_product": "whatsapp", "url": f"{self.url}/media-download/{object_id}",
                               "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(),
                               "file_size": len(data), "id": object_id})
        return graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
                           "loaded due to missing permissions, or does not support this operation.", 100, subcode=33,
                           kind="GraphMethodException")


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---- WhatsApp webhook payloads (entry[].changes[].value), as in the Cloud API webhook reference ----

def wa_payload(*, messages: list | None = None, statuses: list | None = None,
               phone_number_id: str = PHONE_NUMBER_ID, name: str = "Ana García") -> dict:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "15550100199", "phone_number_id": phone_number_id}}
    if messages is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": WA_ID}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def wa_message(kind: str, content: dict, *, msg_id: str = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQUVCMDk4") -> dict:
    return {"from": WA_ID, "id": msg_id, "timestamp": "1735689600", "type": kind, kind: content}


def wa_status(msg_id: str, status: str, *, errors: list | None = None) -> dict:
    item: dict[str, Any] = {"id": msg_id, "status": status, "timestamp": "1735689700", "recipient_id": WA_ID}
    if status != "failed":
        item["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if errors is not None:
        item["errors"] = errors
    return item


# ---- Messenger webhook payloads (entry[].messaging[]), as in the Messenger Platform webhook reference ----

def ms_payload(*events: dict, page_id: str = PAGE_ID) -> dict:
    return {"object": "page", "entry": [{"id": page_id, "time": 1735689600123, "messaging": list(events)}]}


def ms_message(*, mid: str = "m_1457764197618:41d102a3e1ae206a38", text: str | None = None,
               attachments: list | None = None, echo: bool = False) -> dict:
    message: dict[str, Any] = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments is not None:
        message["attachments"] = attachments
    if echo:
        message.update(is_echo=True, app_id=1517776481860111)
    sender, recipient = (PAGE_ID, PSID) if echo else (PSID, PAGE_ID)
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": 1735689600000,
            "message": message}


def ms_attachment(kind: str, url: str) -> dict:
    return {"type": kind, "payload": {"url": url}}
