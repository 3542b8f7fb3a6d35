"""Messenger Platform page webhooks (entry[].messaging[]): messages, postbacks, delivery and read receipts.

https://developers.facebook.com/docs/messenger-platform/webhooks. Which ids an event needs depends on its kind
(a delivery receipt names no sender), so the connector requires the sender per kind; the types here already
clean every id. Timestamps and watermarks are milliseconds and only hints: a bogus one is dropped.
"""

from typing import Annotated, Literal

from pydantic import Field

from .common import ExternalId, HintFloat, HintInt, Link, NoneIsEmpty, OptionalId, Payload, line, text

Short = line(255)
Title = line(1000)
Body = text(None)


class Party(Payload):
    id: ExternalId


class Coordinates(Payload):
    lat: HintFloat = None
    long: HintFloat = None


class AttachmentPayload(Payload):
    url: Link = ""
    coordinates: Coordinates | None = None


class Attachment(Payload):
    type: Short = ""
    payload: AttachmentPayload | None = None
    title: Title = ""


class Message(Payload):
    mid: ExternalId
    text: Body = ""
    is_echo: bool = False
    attachments: Annotated[list[Attachment], NoneIsEmpty, Field(max_length=50)] = []


class Delivery(Payload):
    mids: Annotated[list[OptionalId], NoneIsEmpty, Field(max_length=500)] = []
    watermark: HintInt = None


class Read(Payload):
    watermark: HintInt = None


class Postback(Payload):
    title: Body = ""
    mid: OptionalId = ""


class Event(Payload):
    sender: Party | None = None
    timestamp: HintInt = None
    message: Message | None = None
    delivery: Delivery | None = None
    read: Read | None = None
    postback: Postback | None = None


class Entry(Payload):
    id: OptionalId = ""
    messaging: Annotated[list[Event], NoneIsEmpty] = []


class Webhook(Payload):
    object: Literal["page"]
    entry: list[Entry]
