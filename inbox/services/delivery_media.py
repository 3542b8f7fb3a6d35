"""The delivery copies of a message's files: what each channel is sent in place of the originals.

A voice note is stored as recorded (the original plays in the history); before it is sent, the
channel gets the copy media.conversion makes for it (OGG/Opus voice note, or an .m4a audio file).
"""

from __future__ import annotations

from contextlib import ExitStack

from django.core.files.base import ContentFile

from connectors.base import Capabilities
from inbox.models import Attachment, Message
from media import conversion, voice


def prepare_for_channel(*, message: Message, capabilities: Capabilities) -> None:
    """Create the delivery copies this channel needs (idempotent: existing copies are reused)."""
    if message.kind != Message.Kind.VOICE:
        return
    items = list(message.attachments.all())
    have = {a.derived_from_id for a in items if a.purpose == Attachment.Purpose.DELIVERY}
    for original in items:
        if original.purpose != Attachment.Purpose.ORIGINAL or original.pk in have or not original.file:
            continue
        with original.file.open("rb"), voice.local_path(original.file) as path:
            info = voice.probe(path)
            if capabilities.voice_note and conversion.sendable_as_is(
                    info, size=original.size or original.file.size, duration=original.duration,
                    capabilities=capabilities):
                continue
            target = conversion.VOICE_OGG if capabilities.voice_note else conversion.AUDIO_M4A
            data, duration = conversion.convert(path, target)
        variant = Attachment(workspace_id=message.workspace_id, message=message, purpose=Attachment.Purpose.DELIVERY,
                             derived_from=original, name=target["name"], content_type=target["content_type"],
                             size=len(data), duration=duration or original.duration)
        variant.file.save(target["name"], ContentFile(data), save=False)
        variant.save()


def files_for_delivery(message: Message) -> list[Attachment]:
    """The files the channel is sent, in order: each original, or its delivery copy where there is one."""
    items = sorted(message.attachments.all(), key=lambda a: a.pk)
    variants = {a.derived_from_id: a for a in items if a.purpose == Attachment.Purpose.DELIVERY}
    return [variants.get(a.pk, a) for a in items if a.purpose == Attachment.Purpose.ORIGINAL]


def local_file(attachment: Attachment, files: ExitStack) -> str | None:
    """A local path holding the attachment's stored bytes, valid until `files` closes; None when there are none."""
    if not attachment.file:
        return None
    try:
        files.enter_context(attachment.file.open("rb"))
        return files.enter_context(voice.local_path(attachment.file))
    except OSError:  # the stored file is gone: the connector says so in the message's failure reason
        return None


def stored_size(attachment: Attachment) -> int:
    if attachment.size or not attachment.file:
        return attachment.size
    try:
        return attachment.file.size
    except OSError:
        return 0
