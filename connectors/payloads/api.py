"""The API channel's inbound JSON, as README.md ("API channel → Inbound") documents it."""

from typing import Annotated

from pydantic import Field

from kernel.text import MESSAGE_MAX_CHARS

from .common import ExternalId, NoneIsEmpty, Payload, RequiredLink, line, text

MAX_ATTACHMENTS = 10

Name = line(200, cut=False)
Phone = line(40, cut=False)
Email = line(254, cut=False)
FileName = line(255, cut=False)
MessageText = text(MESSAGE_MAX_CHARS, cut=False)


class Contact(Payload):
    id: ExternalId
    name: Name = ""
    phone: Phone = ""
    email: Email = ""


class Attachment(Payload):
    url: RequiredLink
    name: FileName = ""
    content_type: FileName = ""


class Message(Payload):
    id: ExternalId
    text: MessageText = ""
    attachments: Annotated[list[Attachment], NoneIsEmpty, Field(max_length=MAX_ATTACHMENTS)] = []


class Inbound(Payload):
    """POST /hooks/api/<uuid>/: one message from one contact."""

    contact: Contact
    message: Message
