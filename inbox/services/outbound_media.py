"""Per-channel media conversion before delivery (runs in the delivery task, never in a request)."""

from __future__ import annotations

import os
import tempfile

from django.core.files.base import ContentFile
from pydub import AudioSegment

from inbox.connectors.base import Capabilities
from inbox.models import Attachment, Message

# Voice notes: mono speech at a low bitrate keeps WhatsApp's voice-note play control (small files).
VOICE_OGG = {"format": "ogg", "codec": "libopus", "bitrate": "32k", "parameters": ["-ac", "1", "-ar", "48000"]}
# Where a channel has no voice notes, the recording goes as a widely playable audio file.
AUDIO_M4A = {"format": "ipod", "codec": "aac", "bitrate": "64k", "parameters": ["-ac", "1"]}


def prepare_for_channel(*, message: Message, capabilities: Capabilities) -> None:
    """Create the delivery copies this channel needs (idempotent: existing copies are reused)."""
    if message.kind != Message.Kind.VOICE:
        return
    originals = [a for a in message.attachments.all() if a.purpose == Attachment.Purpose.ORIGINAL]
    have = {a.derived_from_id for a in message.attachments.all() if a.purpose == Attachment.Purpose.DELIVERY}
    for original in originals:
        if original.pk in have or not original.file:
            continue
        as_voice = capabilities.voice_note
        target = VOICE_OGG if as_voice else AUDIO_M4A
        data = _convert(original, target)
        stem = "voice-note" if as_voice else "voice-recording"
        name, ctype = (f"{stem}.ogg", "audio/ogg") if as_voice else (f"{stem}.m4a", "audio/mp4")
        variant = Attachment(workspace_id=message.workspace_id, message=message, purpose=Attachment.Purpose.DELIVERY,
                             derived_from=original, name=name, content_type=ctype, size=len(data),
                             duration=original.duration)
        variant.file.save(name, ContentFile(data), save=False)
        variant.save()


def _convert(original: Attachment, target: dict) -> bytes:
    with original.file.open("rb") as source:
        audio = AudioSegment.from_file(source)
    fd, path = tempfile.mkstemp(suffix=".out")
    os.close(fd)
    try:
        handle = audio.export(path, format=target["format"], codec=target["codec"], bitrate=target["bitrate"],
                              parameters=target["parameters"])
        handle.close()  # pydub returns the open file: close it, or it leaks
        with open(path, "rb") as converted:
            return converted.read()
    finally:
        os.unlink(path)


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
