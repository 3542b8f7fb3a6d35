"""The web chat widget: visitor tokens, allowed origins, visitor messages and what a visitor may see."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from connectors.base import InboundAttachment, InboundMessage
from connectors.origins import normalize_origin
from contacts.services import identities
from inbox.errors import InboxError
from inbox.files import signed_url
from inbox.models import Attachment, Channel, Message
from inbox.services.receiving import receive_message
from kernel.text import MESSAGE_MAX_CHARS, clean_line, clean_text
from media import uploads
from workspaces import throttle
from workspaces.models import Workspace

TOKEN_SALT = "parley.webchat.visitor"
TOKEN_MAX_AGE = 400 * 24 * 3600  # long-lived; the widget refreshes it on each visit
MAX_FILE_BYTES = uploads.VISITOR_MAX_FILE_BYTES  # the widget's config shows these; the policy enforces them
MAX_FILES = uploads.VISITOR_MAX_FILES
HISTORY_LIMIT = 100
DEMO_CHANNEL_NAME = "Website chat"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_HIDDEN_KINDS = (Message.Kind.NOTE, Message.Kind.EVENT)  # internal notes and system events never leave


@dataclass(frozen=True)
class Visitor:
    """Who a visitor token speaks for: one random id on one channel (ContactIdentity.external_id)."""

    channel_id: int
    visitor_id: str
    name: str = ""
    email: str = ""


# ---- tokens ---------------------------------------------------------------------------------------


def issue_token(channel: Channel, *, visitor_id: str | None = None, name: str = "", email: str = "") -> str:
    """A signed token for a new (or the same, when visitor_id is given) visitor of this channel."""
    data = {"c": channel.pk, "v": visitor_id or secrets.token_urlsafe(18)}
    if name:
        data["n"] = name
    if email:
        data["e"] = email
    return signing.dumps(data, salt=TOKEN_SALT, compress=True)


def read_token(token: str | None, channel: Channel) -> Visitor | None:
    """The visitor of a valid token for this channel; None when bad, expired or another channel's."""
    if not token or len(token) > 1000:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != channel.pk or not isinstance(data.get("v"), str):
        return None
    return Visitor(channel_id=channel.pk, visitor_id=data["v"], name=str(data.get("n", "")),
                   email=str(data.get("e", "")))


# ---- origins --------------------------------------------------------------------------------------


def allowed_origins(channel: Channel, *, own: tuple[str, ...] = ()) -> list[str]:
    """The channel's configured origins plus the app's own (PUBLIC_BASE_URL and `own`), normalized."""
    configured = (channel.config or {}).get("allowed_origins") or []
    if isinstance(configured, str):
        configured = [configured]
    origins = [normalize_origin(str(o)) for o in [*configured, settings.PUBLIC_BASE_URL, *own]]
    return list(dict.fromkeys(o for o in origins if o))


def origin_allowed(channel: Channel, origin: str, *, own: tuple[str, ...] = ()) -> bool:
    return bool(origin) and normalize_origin(origin) in allowed_origins(channel, own=own)


# ---- rate limits ----------------------------------------------------------------------------------


def rate_limited(key: str, *, limit: int, window: int = 60) -> int | None:
    """Count one hit in a fixed window; None while under `limit`, else the seconds until it resets."""
    return throttle.hit(f"webchat:{key}", limit=limit, window=window)


def messages_per_minute() -> int:
    return int(getattr(settings, "WEBCHAT_MESSAGES_PER_MINUTE", 20))


def sessions_per_minute() -> int:
    return int(getattr(settings, "WEBCHAT_SESSIONS_PER_MINUTE", 30))


# ---- what a visitor sees --------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"']+")


def survey_actions(text: str, kind: str) -> list[dict]:
    """Survey links as buttons: any /s/<token>/ link in a survey message, or one at our own base URL."""
    actions = []
    for url in _URL.findall(text or ""):
        url = url.rstrip(".,;:!?)")
        path = urlsplit(url).path
        ours = url.startswith(settings.PUBLIC_BASE_URL + "/s/")
        if re.fullmatch(r"/s/[A-Za-z0-9_.:-]+/?", path) and (ours or kind == Message.Kind.SURVEY):
            actions.append({"label": _("Open survey"), "url": url})
    return actions


def _delivered_attachments(message: Message) -> list:
    """Each file once: the copy converted for this channel where there is one, else the original."""
    items = list(message.attachments.all())
    copies = {a.derived_from_id: a for a in items if a.purpose == "delivery"}
    return [copies.get(a.pk, a) for a in items if a.purpose != "delivery"]


def visitor_message_payload(message: Message) -> dict:
    """The minimal JSON a visitor gets for one message: never notes, member emails or other contacts."""
    author = ""
    if message.direction == Message.Direction.OUT and message.sender_id and message.sender:
        author = message.sender.display_name
    return {
        "id": message.pk,
        "direction": message.direction,
        "kind": message.kind,
        "text": message.body,
        "author": author,
        "attachments": [
            {"url": signed_url(a), "name": a.name, "content_type": a.content_type, "size": a.size}
            for a in _delivered_attachments(message) if a.file
        ],
        "actions": survey_actions(message.body, message.kind),
        "created_at": message.created_at.isoformat(),
    }


def visitor_contact_id(channel: Channel, visitor_id: str) -> int | None:
    """The contact behind a visitor id on this channel (None before the visitor's first message)."""
    return identities.contact_id_for(workspace=channel.workspace_id, channel_id=channel.pk, external_id=visitor_id)


def visitor_history(channel: Channel, visitor: Visitor, *, after: int = 0) -> list[dict]:
    """The visitor's own messages on this channel, oldest first: newer than `after`, or the latest ones."""
    contact_id = visitor_contact_id(channel, visitor.visitor_id)
    if contact_id is None:
        return []
    qs = (
        Message.objects.for_workspace(channel.workspace_id)
        .filter(conversation__contact_id=contact_id, channel=channel)
        .exclude(kind__in=_HIDDEN_KINDS).exclude(status=Message.Status.FAILED)
        .select_related("sender__user").prefetch_related("attachments")
    )
    if after > 0:
        return [visitor_message_payload(m) for m in qs.filter(pk__gt=after).order_by("pk")[:HISTORY_LIMIT]]
    latest = list(qs.order_by("-pk")[:HISTORY_LIMIT])
    return [visitor_message_payload(m) for m in reversed(latest)]


# ---- inbound --------------------------------------------------------------------------------------


def clean_visitor_text(value: str | None) -> str:
    """Visitor text with control characters dropped; InboxError past the limit."""
    return clean_text(value, limit=MESSAGE_MAX_CHARS, field=_("message"))


def check_files(files: list[UploadedFile]) -> list[uploads.PreparedFile]:
    """The visitor's files checked by the shared upload policy (count, size, type sniffed from the bytes).

    InboxError naming the file and the limit; the browser's claimed type is never used.
    """
    return uploads.prepare_files(files, policy=uploads.for_visitors())


def _kind_for(text: str, files: list[uploads.PreparedFile]) -> str:
    if text or not files:
        return Message.Kind.TEXT
    return uploads.kind_for(files[0].content_type)


@transaction.atomic
def post_visitor_message(*, channel: Channel, visitor: Visitor, text: str, files: list[UploadedFile],
                         client_id: str = "") -> Message:
    """Store a visitor's message (text and/or files) through receive_message; the files are saved here.

    A client id (the widget's retry key) makes a repeated post after a lost answer store nothing new.
    """
    if visitor.channel_id != channel.pk:
        raise InboxError(_("This chat session belongs to another channel."))
    text = clean_visitor_text(text)
    prepared = check_files(files)
    if not text and not prepared:
        raise InboxError(_("Write a message or attach a file."))
    external_id = f"wc:{visitor.visitor_id}:{client_id}" if _CLIENT_ID.match(client_id or "") else (
        f"wc:{uuid.uuid4().hex}")
    inbound = InboundMessage(
        external_contact_id=visitor.visitor_id, external_message_id=external_id, text=text,
        contact_name=visitor.name, email=visitor.email, kind=_kind_for(text, prepared),
        attachments=tuple(InboundAttachment(url="", name=p.name, content_type=p.content_type) for p in prepared),
    )
    received = receive_message(workspace=channel.workspace, channel=channel, inbound=inbound)
    if received.duplicate:
        return Message.objects.for_workspace(channel.workspace_id).get(channel=channel, external_id=external_id)
    rows = Attachment.objects.for_workspace(channel.workspace_id).filter(message=received.message).order_by("pk")
    for row, upload in zip(rows, prepared, strict=True):
        row.size = upload.size
        row.content_type = upload.content_type
        row.file.save(row.name, upload.content, save=False)
        row.save(update_fields=["file", "size", "content_type"])
    return received.message


def load_message(channel: Channel, message_id: int) -> Message:
    return (
        Message.objects.for_workspace(channel.workspace_id).select_related("sender__user")
        .prefetch_related("attachments").get(pk=message_id)
    )


# ---- setup ----------------------------------------------------------------------------------------


def public_config(channel: Channel) -> dict:
    """What the widget script may know about its channel (nothing secret)."""
    config = channel.config or {}
    return {
        "title": clean_line(str(config.get("title") or channel.workspace.name), limit=80),
        "greeting": clean_text(str(config.get("greeting") or ""))[:500],
        "ask_name": bool(config.get("ask_name")),
        "ask_email": bool(config.get("ask_email")),
        "max_file_bytes": MAX_FILE_BYTES,
        "max_files": MAX_FILES,
    }


def webchat_demo_channel() -> Channel | None:
    """The demo workspace's "Website chat" channel, created once; None when there is no demo workspace."""
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().filter(slug="demo").first()
        if workspace is None:
            return None
        channel = (
            Channel.objects.for_workspace(workspace).filter(kind=Channel.Kind.WEBCHAT, name=DEMO_CHANNEL_NAME)
            .order_by("pk").first()
        )
        if channel is None:
            channel = Channel.objects.create(
                workspace=workspace, kind=Channel.Kind.WEBCHAT, name=DEMO_CHANNEL_NAME,
                config={"allowed_origins": [], "ask_name": True, "ask_email": False,
                        "greeting": "Hi! Ask us anything: an agent of the Demo workspace answers here."},
            )
    return channel
