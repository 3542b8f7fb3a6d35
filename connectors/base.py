"""The one small interface every channel kind implements, and the neutral shapes it speaks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Channel


@dataclass(frozen=True)
class InboundAttachment:
    url: str
    name: str
    content_type: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """A message from a contact, as any connector parses it."""

    external_contact_id: str
    external_message_id: str | None
    text: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    kind: str = "text"
    attachments: tuple[InboundAttachment, ...] = ()
    sent_at: datetime | None = None


@dataclass(frozen=True)
class StatusReceipt:
    """A provider's word on one of our messages: delivered, read or failed."""

    external_message_id: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class ReadUpTo:
    """A provider's word that the contact has read everything we sent up to a moment (Messenger)."""

    external_contact_id: str
    until: datetime


@dataclass(frozen=True)
class Capabilities:
    text: bool = True
    voice_note: bool = False
    audio: bool = True
    file: bool = True
    image: bool = True
    max_file_bytes: int = 16 * 1024 * 1024
    voice_note_formats: tuple[str, ...] = ()


class SendError(Exception):
    """Delivery failed for good; the message is shown to the agent."""


class TransientSendError(Exception):
    """Delivery may succeed later (network error, 5xx, 429). retry_after in seconds, if the provider said."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


# ---- outbound: what delivery hands a connector, and what comes back --------------------------------


@dataclass(frozen=True, slots=True)
class OutboundChannel:
    """The channel's own settings, as a connector needs them to call its provider."""

    id: int
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)  # credentials: bot_token, access_token, page_id…
    webhook_url: str = ""  # the API channel's receiver
    secret: str = ""  # the API channel's X-Parley-Signature key


@dataclass(frozen=True, slots=True)
class OutboundPart:
    """One piece of an outbound message: its text, or one file (already converted for the channel)."""

    key: str  # stable across attempts: "text", "file:<attachment id>"
    kind: str  # text | voice | audio | file | image
    text: str = ""
    path: str | None = None  # a local file holding the bytes to upload
    name: str = ""
    content_type: str = ""
    size: int = 0
    url: str = ""  # an absolute signed link (PUBLIC_BASE_URL), for receivers that fetch the file themselves

    @property
    def ctype(self) -> str:
        """The bare, lower-case media type ("audio/ogg" for "audio/ogg; codecs=opus")."""
        return self.content_type.split(";")[0].strip().lower()

    def open_file(self) -> BinaryIO:
        """The file's bytes, for an upload (close it after use); SendError when there is nothing to read."""
        if not self.path:
            raise SendError(_("%(name)s has no stored file to send.") % {"name": self.name})
        try:
            return open(self.path, "rb")  # noqa: SIM115 - the caller closes it
        except OSError as exc:
            raise SendError(_("%(name)s could not be read from storage.") % {"name": self.name}) from exc


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message to send, built by delivery from the database; a connector needs nothing else.

    `parts` is the text part (key "text") when there is text, then one part per file, in order. A connector
    may put parts together (a caption) or split one (a long text); it names what it sends with keys derived
    from the parts' keys, and it skips every key in `already_sent` (the provider accepted it on an earlier try).
    """

    id: int  # Parley's message id: the same on every attempt (the API channel's X-Parley-Delivery)
    channel: OutboundChannel
    recipient_id: str  # the contact's id on this channel ("" when the contact has none there)
    contact_id: int
    conversation_id: int
    kind: str  # text | voice | audio | file | image | survey
    parts: tuple[OutboundPart, ...]
    sender: str = "member"  # member | bot | system
    author: str = ""  # the sender's display name, for channels that show it
    created_at: datetime | None = None
    already_sent: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return next((p.text for p in self.parts if p.kind == "text"), "")

    @property
    def files(self) -> tuple[OutboundPart, ...]:
        return tuple(p for p in self.parts if p.kind != "text")

    def pending(self, key: str) -> bool:
        """True unless the provider already accepted the part with this key."""
        return key not in self.already_sent


@dataclass(frozen=True, slots=True)
class SentPart:
    """The provider accepted one part; external_id is its id for it (receipts refer to it), if it gave one."""

    key: str
    external_id: str | None = None


class BadPayload(Exception):
    """An inbound request is malformed; `field` names what is wrong (answered 400)."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


class NotAuthentic(Exception):
    """An inbound request failed verification (answered 401/403, nothing stored)."""


class Connector(ABC):
    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    @abstractmethod
    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> None:
        """Raise NotAuthentic unless the request (its headers and raw `body`) is authentic for this channel."""

    @abstractmethod
    def parse(self, request: HttpRequest, channel: Channel,
              body: bytes) -> list[InboundMessage | StatusReceipt | ReadUpTo]:
        """Turn a verified body into neutral messages and receipts; BadPayload (with the field) if malformed.

        `body` was read by the webhook view with its size cap; connectors never read `request.body`. Parsing
        goes through connectors.payloads, so every value is typed and cleaned before anything is stored.
        """

    @abstractmethod
    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """Send the parts not yet sent, in order, yielding each one as the provider accepts it.

        SendError (final) or TransientSendError (retry later) on failure; what was yielded before stays sent.
        Connectors talk to their provider and nothing else: no database, no storage, no settings of Parley's
        besides the provider base URLs.
        """


@dataclass
class Registry:
    connectors: dict[str, Connector] = field(default_factory=dict)

    def register(self, connector: Connector) -> Connector:
        self.connectors[connector.kind] = connector
        return connector

    def get(self, kind: str) -> Connector:
        try:
            return self.connectors[kind]
        except KeyError:
            raise SendError(f"No connector for channel kind {kind!r}.") from None


registry = Registry()
