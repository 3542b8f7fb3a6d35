"""Voice notes: the server decodes every recording itself and never trusts the browser's word."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.utils.translation import gettext as _
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from inbox.errors import InboxError

from .uploads import PreparedFile, sniff

VOICE_MAX_BYTES = 16 * 1024 * 1024
DURATION_TOLERANCE = 2.0  # seconds: recorders stop a little late


def prepare_voice(*, upload) -> PreparedFile:
    """Decode the recording with ffmpeg; refuse non-audio, over-long or over-large files."""
    limit = settings.VOICE_NOTE_MAX_SECONDS
    if upload.size == 0:
        raise InboxError(_("The recording is empty."))
    if upload.size > VOICE_MAX_BYTES:
        raise InboxError(_("The recording is too large (at most %(mb)d MB).") % {"mb": VOICE_MAX_BYTES // 2**20})
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    with tempfile.NamedTemporaryFile(suffix=".rec") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            audio = AudioSegment.from_file(tmp.name)
        except (CouldntDecodeError, IndexError, OSError):
            raise InboxError(_("The recording is not audio that can be played.")) from None
    duration = len(audio) / 1000.0
    if duration <= 0.1:
        raise InboxError(_("The recording is empty."))
    if duration > limit + DURATION_TOLERANCE:
        raise InboxError(
            _("The recording is longer than %(minutes)d minutes.") % {"minutes": max(1, limit // 60)}
        )
    upload.seek(0)
    ctype = sniff(head, upload.name or "voice")
    if not ctype.startswith("audio/"):
        ctype = "audio/webm"
    extension = {"audio/ogg": "ogg", "audio/webm": "webm", "audio/mpeg": "mp3", "audio/mp4": "m4a",
                 "audio/wav": "wav"}.get(ctype, "audio")
    return PreparedFile(name=f"voice-note.{extension}", content_type=ctype, size=upload.size, content=upload,
                        duration=round(duration, 2))
