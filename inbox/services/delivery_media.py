"""The delivery copies of a message's files: what each channel is sent in place of the originals.

A voice note is stored as recorded (the original plays in the history); before it is sent, the
channel gets the copy media.conversion makes for it (OGG/Opus voice note, or an .m4a audio file).
"""

from __future__ import annotations

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


def bind_for_delivery(message: Message) -> None:
    """Make message.attachments.all() yield what the connector must send: delivery copies in place
    of their originals. Connectors read only message.attachments.all(), so the choice lives here."""
    items = list(message.attachments.all())
    variants = {a.derived_from_id: a for a in items if a.purpose == Attachment.Purpose.DELIVERY}
    chosen = [variants.get(a.pk, a) for a in items if a.purpose == Attachment.Purpose.ORIGINAL]
    queryset = Attachment.objects.filter(pk__in=[a.pk for a in chosen])
    queryset._result_cache = chosen
    queryset._prefetch_done = True
    message._prefetched_objects_cache = {**getattr(message, "_prefetched_objects_cache", {}), "attachments": queryset}
