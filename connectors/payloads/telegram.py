"""Telegram Bot API updates (https://core.telegram.org/bots/api#update): the parts Parley reads.

Ids are whole numbers as Telegram sends them (strictly: "42" or true is not an id). Sizes, widths and dates
are hints: a value that is not a plausible number is dropped, and the update is still stored.
"""

from typing import Annotated

from pydantic import Field, StringConstraints

from .common import HintFloat, HintInt, NoneIsEmpty, Payload, line, text

# Telegram's ids fit in 52 bits; anything outside a signed 64-bit integer is not one.
TelegramInt = Annotated[int, Field(strict=True, ge=-(2**63), le=2**63 - 1)]
FileId = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_-]{1,500}$")]
Name = line(200)
Short = line(255)
Body = text(None)


class User(Payload):
    is_bot: bool = False
    first_name: Name = ""
    last_name: Name = ""
    username: Name = ""


class Chat(Payload):
    id: TelegramInt
    type: Short = ""
    title: Name = ""


class File(Payload):
    """Voice, Audio, Document, Video, VideoNote, Animation and PhotoSize share these fields."""

    file_id: FileId
    file_name: Short = ""
    mime_type: Short = ""
    file_size: HintInt = None
    width: HintInt = None


class Sticker(Payload):
    emoji: Short = ""


class SharedContact(Payload):
    first_name: Name = ""
    phone_number: Name = ""


class Location(Payload):
    latitude: HintFloat = None
    longitude: HintFloat = None


class Message(Payload):
    message_id: TelegramInt
    # A missing chat is reported as its missing id, the field a sender has to fix.
    chat: Chat = Field(default_factory=dict, validate_default=True)
    sender: User | None = Field(default=None, alias="from")
    date: HintInt = None
    edit_date: HintInt = None
    text: Body = ""
    caption: Body = ""
    voice: File | None = None
    audio: File | None = None
    document: File | None = None
    video: File | None = None
    video_note: File | None = None
    animation: File | None = None
    photo: Annotated[list[File], NoneIsEmpty, Field(max_length=50)] = []
    sticker: Sticker | None = None
    contact: SharedContact | None = None
    location: Location | None = None


class Update(Payload):
    """One webhook call. Kinds other than (edited) messages (callback queries, channel posts…) are ignored."""

    update_id: TelegramInt
    message: Message | None = None
    edited_message: Message | None = None
