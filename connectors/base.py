"""The one small interface every channel kind implements, and the neutral shapes it speaks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from inbox.models import Channel, Message


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


@dataclass
class SendResult:
    external_id: str | None = None


class SendError(Exception):
    """Delivery failed for good; the message is shown to the agent."""


class TransientSendError(Exception):
    """Delivery may succeed later (network error, 5xx, 429). retry_after in seconds, if the provider said."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BadPayload(Exception):
    """An inbound request is malformed; `field` names what is wrong (answered 400)."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


class NotAuthentic(Exception):
    """An inbound request failed verification (answered 401/403, nothing stored)."""


def send_part(message: Message, key: str, send: Callable[[], str | None]) -> str | None:
    """Send one part of a message (a text chunk, one file) unless an earlier attempt already did.

    Returns the provider's id for the part. Delivery persists each accepted part right away, so a
    retry after a failure part-way skips what the contact already received.
    """
    done = message.delivered_parts if isinstance(message.delivered_parts, dict) else {}
    if key in done:
        return done[key] or None
    sent_id = send()
    done = {**done, key: sent_id or ""}
    message.delivered_parts = done
    recorder = getattr(message, "record_parts", None)
    if recorder is not None:
        recorder(done)
    return sent_id


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
    def send(self, channel: Channel, message: Message) -> SendResult:
        """Deliver one outbound message; SendError or TransientSendError on failure."""


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
