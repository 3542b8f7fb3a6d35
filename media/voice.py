"""Voice notes: the server decodes every recording itself and never trusts the browser's word.

ffprobe names the container and codec, ffmpeg decodes the audio (the duration is counted from the
decoded samples, not from what the container claims). Both only ever open a local file with a plain
audio demuxer: no playlists, no network protocols, nothing that could make ffmpeg read elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from pydub import AudioSegment
from pydub.utils import get_prober_name

from kernel.errors import ParleyError as InboxError

from .uploads import PreparedFile

VOICE_MAX_BYTES = 16 * 1024 * 1024
DURATION_TOLERANCE = 0.5  # seconds: a recorder stops a moment after its limit; 5:01 is still refused
MIN_SECONDS = 0.2
TIMEOUT = 60  # seconds for one ffprobe/ffmpeg run
DECODE_RATE = 8000  # Hz, mono 16-bit: enough to count samples, small in memory
# Demuxers ffmpeg may open a recording with (a whitelist: no hls/concat/image demuxers, ever).
DEMUXERS = "ogg,matroska,mov,mp3,wav,flac,aac"
# ffprobe format_name → (short container name, content type, file extension)
CONTAINERS = {
    "ogg": ("ogg", "audio/ogg", "ogg"),
    "matroska,webm": ("webm", "audio/webm", "webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", "audio/mp4", "m4a"),
    "mp3": ("mp3", "audio/mpeg", "mp3"),
    "wav": ("wav", "audio/wav", "wav"),
    "flac": ("flac", "audio/flac", "flac"),
    "aac": ("aac", "audio/aac", "aac"),
}


@dataclass(frozen=True)
class AudioInfo:
    """What ffprobe says about a recording's first audio stream."""

    container: str  # "ogg", "webm", "mp4", …
    content_type: str
    extension: str
    codec: str  # "opus", "aac", …
    channels: int
    sample_rate: int
    duration: float | None  # as the container claims it (a browser's webm often has none)

    @property
    def format(self) -> str:
        """"ogg/opus", "webm/opus", "mp4/aac": the spelling of Capabilities.voice_note_formats."""
        return f"{self.container}/{self.codec}"


def not_audio() -> InboxError:
    return InboxError(_("The recording is not audio that can be played."))


def limit_label(seconds: float) -> str:
    """300 → "5:00" (how the recorder shows its limit)."""
    total = int(round(seconds))
    return f"{total // 60}:{total % 60:02d}"


def _run(command: list[str]) -> subprocess.CompletedProcess:
    try:
        # A fixed argv (no shell): ffmpeg/ffprobe with our options and a path we created.
        return subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False,  # noqa: S603
                              stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError):
        raise not_audio() from None


def probe(path: str) -> AudioInfo:
    """Container and first audio stream of a local file; InboxError unless it is plainly audio."""
    result = _run([get_prober_name(), "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
                   "-show_format", "-show_streams", "-of", "json", path])
    try:
        data = json.loads(result.stdout or b"{}")
    except ValueError:
        data = {}
    container = CONTAINERS.get(str(data.get("format", {}).get("format_name", "")))
    streams = data.get("streams") or []
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    # A real video stream means a video, not a recording (cover art on an mp3 is fine).
    video = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
    if result.returncode != 0 or container is None or not audio or video:
        raise not_audio()
    stream = audio[0]
    try:
        claimed = float(data["format"].get("duration") or stream.get("duration"))
    except (TypeError, ValueError):
        claimed = None
    return AudioInfo(container=container[0], content_type=container[1], extension=container[2],
                     codec=str(stream.get("codec_name") or ""), channels=int(stream.get("channels") or 0),
                     sample_rate=int(stream.get("sample_rate") or 0), duration=claimed)


def decoded_seconds(path: str, *, cap: float) -> float:
    """Decode the first audio stream (at most `cap` seconds of it) and count what came out."""
    result = _run([AudioSegment.converter, "-nostdin", "-hide_banner", "-v", "error",
                   "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", path,
                   "-map", "0:a:0", "-vn", "-sn", "-dn", "-t", f"{cap:.3f}",
                   "-ac", "1", "-ar", str(DECODE_RATE), "-f", "s16le", "pipe:1"])
    if result.returncode != 0:
        raise not_audio()
    return len(result.stdout) / (2 * DECODE_RATE)


@contextlib.contextmanager
def local_path(source, suffix: str = ".rec") -> Iterator[str]:
    """A path on local disk with the bytes of an upload or a stored file (copied only when needed)."""
    for attribute in ("temporary_file_path", "path"):
        try:
            value = getattr(source, attribute, None)
            path = value() if callable(value) else value
        except (NotImplementedError, ValueError):
            path = None
        if path and os.path.exists(path):
            yield path
            return
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        source.seek(0)
        for chunk in source.chunks():
            tmp.write(chunk)
        tmp.flush()
        source.seek(0)
        yield tmp.name


def remux(path: str, info: AudioInfo) -> bytes | None:
    """The same audio packets (no re-encoding) in a container that states its length, or None.

    Browsers stream their recordings and never write the duration: without this, the history's player
    shows 0:00 and cannot seek.
    """
    with tempfile.NamedTemporaryFile(suffix=f".{info.extension}") as out:
        result = _run([AudioSegment.converter, "-nostdin", "-hide_banner", "-v", "error", "-y",
                       "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", path,
                       "-map", "0:a:0", "-c", "copy", out.name])
        data = out.read()
    return data if result.returncode == 0 and data else None


def measure_duration(data: bytes) -> float | None:
    """Length in seconds of some audio bytes (an inbound voice message, for display), or None if it is
    not audio. The container's word is enough here; without one, at most 30 minutes are decoded."""
    with tempfile.NamedTemporaryFile(suffix=".rec") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            info = probe(tmp.name)
            seconds = info.duration if info.duration else decoded_seconds(tmp.name, cap=30 * 60)
        except InboxError:
            return None
    return round(seconds, 2) if seconds > 0 else None


def prepare_voice(*, upload) -> PreparedFile:
    """Check a recorded voice note and return it ready to store as the original (as it came; a
    recording without a stated length is re-wrapped, not re-encoded, so the history can show it).

    Refused with a message the agent can act on: empty, over VOICE_MAX_BYTES, not audio (as decoded
    by ffmpeg, whatever its name or declared type), or longer than VOICE_NOTE_MAX_SECONDS.
    """
    limit = settings.VOICE_NOTE_MAX_SECONDS
    if not upload.size:
        raise InboxError(_("The recording is empty."))
    if upload.size > VOICE_MAX_BYTES:
        raise InboxError(_("The recording is too large (at most %(mb)d MB).") % {"mb": VOICE_MAX_BYTES // 2**20})
    with local_path(upload) as path:
        info = probe(path)
        cap = limit + DURATION_TOLERANCE + 60  # enough to say how long it is, bounded whatever the file claims
        seconds = decoded_seconds(path, cap=cap)
        playable = remux(path, info) if info.duration is None and seconds <= limit + DURATION_TOLERANCE else None
    if seconds < MIN_SECONDS:
        raise InboxError(_("The recording is empty or too short."))
    if seconds > limit + DURATION_TOLERANCE:
        if seconds < cap:
            raise InboxError(_("The recording is %(length)s long; voice notes can be at most %(limit)s.")
                             % {"length": limit_label(seconds), "limit": limit_label(limit)})
        raise InboxError(_("The recording is too long; voice notes can be at most %(limit)s.")
                         % {"limit": limit_label(limit)})
    name = f"voice-note.{info.extension}"
    if playable:
        return PreparedFile(name=name, content_type=info.content_type, size=len(playable),
                            content=ContentFile(playable, name=name), duration=round(seconds, 2))
    upload.seek(0)
    return PreparedFile(name=name, content_type=info.content_type, size=upload.size, content=upload,
                        duration=round(seconds, 2))
