"""Per-channel audio conversion before delivery (runs in the delivery task, never in a request).

A voice note is stored as recorded (the original plays in the history). Before it is sent:

- a channel with voice notes gets OGG/Opus, mono, speech bitrate (WhatsApp shows its voice-note
  control only for small files), unless the recording already is in one of the channel's voice-note
  formats and compact, in which case it goes as it is (the web chat plays a browser's webm itself);
- any other channel gets a widely playable audio file: AAC in an .m4a, named voice-recording.m4a.
"""

from __future__ import annotations

import os
import tempfile

from pydub import AudioSegment

from connectors.base import Capabilities
from kernel.errors import ParleyError as InboxError

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


def sendable_as_is(info: voice.AudioInfo, *, size: int, duration: float | None, capabilities: Capabilities) -> bool:
    """Already in one of the channel's voice-note formats, mono and compact: re-encoding gains nothing."""
    seconds = duration or info.duration or 0
    if info.format not in capabilities.voice_note_formats or info.channels != 1 or seconds <= 0:
        return False
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
