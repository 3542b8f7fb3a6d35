"""WhatsApp Cloud API webhooks (entry[].changes[].value with messages and statuses): the parts Parley reads.

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .common import ExternalId, HintFloat, HintInt, NoneIsEmpty, OptionalId, Payload, line, text

MediaId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,200}$"), Field(coerce_numbers_to_str=True)]
Name = line(255)
Short = line(255)
Details = line(1000)
Body = text(None)


class Media(Payload):
    """audio, image, sticker, document and video objects."""

    id: MediaId
    mime_type: Short = ""
    filename: Name = ""
    caption: Body = ""
    voice: bool = False


class Text(Payload):
    body: Body = ""


class Button(Payload):
    text: Body = ""


class Reply(Payload):
    title: Body = ""


class Interactive(Payload):
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class Location(Payload):
    latitude: HintFloat = None
    longitude: HintFloat = None
    name: Name = ""


class Reaction(Payload):
    emoji: Short = ""


class CardName(Payload):
    formatted_name: Name = ""


class Card(Payload):
    name: CardName | None = None


class Message(Payload):
    sender: ExternalId = Field(alias="from")
    id: ExternalId
    timestamp: HintInt = None
    type: Short = ""
    text: Text | None = None
    audio: Media | None = None
    image: Media | None = None
    sticker: Media | None = None
    document: Media | None = None
    video: Media | None = None
    button: Button | None = None
    interactive: Interactive | None = None
    location: Location | None = None
    reaction: Reaction | None = None
    contacts: Annotated[list[Card], NoneIsEmpty, Field(max_length=50)] = []


class ErrorData(Payload):
    details: Details = ""


class StatusError(Payload):
    code: HintInt = None
    title: Details = ""
    message: Details = ""
    error_data: ErrorData | None = None


class Status(Payload):
    id: OptionalId = ""
    status: Short = ""
    errors: Annotated[list[StatusError], NoneIsEmpty] = []


class Profile(Payload):
    name: Name = ""


class ContactProfile(Payload):
    wa_id: OptionalId = ""
    profile: Profile | None = None


class Metadata(Payload):
    phone_number_id: OptionalId = ""


class Value(Payload):
    metadata: Metadata | None = None
    contacts: Annotated[list[ContactProfile], NoneIsEmpty] = []
    messages: Annotated[list[Message], NoneIsEmpty] = []
    statuses: Annotated[list[Status], NoneIsEmpty] = []


class Change(Payload):
    field: Short = "messages"
    value: Value | None = None


class Entry(Payload):
    changes: Annotated[list[Change], NoneIsEmpty] = []


class Webhook(Payload):
    object: Literal["whatsapp_business_account"]
    entry: list[Entry]
