"""Per-channel media conversion before delivery (runs in the delivery task, never in a request).

A voice note is stored as recorded (the original plays in the history). Before it is sent:

- a channel with voice notes gets OGG/Opus, mono, speech bitrate (WhatsApp shows its voice-note
  control only for small files), unless the recording already is in one of the channel's voice-note
  formats and compact, in which case it goes as it is (the web chat plays a browser's webm itself);
- any other channel gets a widely playable audio file: AAC in an .m4a, named voice-recording.m4a.
"""

from __future__ import annotations

import os
import tempfile

from django.core.files.base import ContentFile
from pydub import AudioSegment

from inbox.connectors.base import Capabilities
from inbox.errors import InboxError
from inbox.models import Attachment, Message

from . import voice

# Voice notes: mono speech at a low bitrate keeps WhatsApp's voice-note play control (small files).
VOICE_OGG = {"format": "ogg", "codec": "libopus", "bitrate": "32k",
             "parameters": ["-ac", "1", "-ar", "48000", "-application", "voip", "-map_metadata", "-1"],
             "name": "voice-note.ogg", "content_type": "audio/ogg"}
# Where a channel has no voice notes, the recording goes as a widely playable audio file.
AUDIO_M4A = {"format": "ipod", "codec": "aac", "bitrate": "64k",
             "parameters": ["-ac", "1", "-movflags", "+faststart", "-map_metadata", "-1"],
             "name": "voice-recording.m4a", "content_type": "audio/mp4"}
COMPACT_BITS_PER_SECOND = 48_000  # a recording at or under this (and mono) needs no re-encoding


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
            if capabilities.voice_note and sendable_as_is(info, original, capabilities):
                continue
            target = VOICE_OGG if capabilities.voice_note else AUDIO_M4A
            data, duration = convert(path, target)
        variant = Attachment(workspace_id=message.workspace_id, message=message, purpose=Attachment.Purpose.DELIVERY,
                             derived_from=original, name=target["name"], content_type=target["content_type"],
                             size=len(data), duration=duration or original.duration)
        variant.file.save(target["name"], ContentFile(data), save=False)
        variant.save()


def sendable_as_is(info: voice.AudioInfo, original: Attachment, capabilities: Capabilities) -> bool:
    """Already in one of the channel's voice-note formats, mono and compact: re-encoding gains nothing."""
    seconds = original.duration or info.duration or 0
    if info.format not in capabilities.voice_note_formats or info.channels != 1 or seconds <= 0:
        return False
    size = original.size or original.file.size
    return size * 8 / seconds <= COMPACT_BITS_PER_SECOND


def convert(path: str, target: dict) -> tuple[bytes, float | None]:
    """Re-encode a local recording with pydub/ffmpeg: (bytes, duration in seconds of the result)."""
    audio = AudioSegment.from_file(path)
    fd, out = tempfile.mkstemp(suffix=".out")
    os.close(fd)
    try:
        handle = audio.export(out, format=target["format"], codec=target["codec"], bitrate=target["bitrate"],
                              parameters=target["parameters"])
        handle.close()  # pydub returns the open file: close it, or it leaks
        try:
            duration = voice.probe(out).duration
        except InboxError:
            duration = None
        with open(out, "rb") as converted:
            return converted.read(), duration
    finally:
        os.unlink(out)


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
