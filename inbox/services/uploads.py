"""Files an agent attaches: checked against the channel's limits, with the type sniffed from the bytes."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.core.files.base import File
from django.utils.translation import gettext as _

from inbox.connectors.base import Capabilities
from inbox.errors import InboxError
from inbox.text import clean_line

MAX_FILES = 10

# Leading bytes → content type. Enough to tell real images/audio/documents from renamed files.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"\xff\xf3", 0, "audio/mpeg"),
    (b"\x1a\x45\xdf\xa3", 0, "audio/webm"),
    (b"fLaC", 0, "audio/flac"),
    (b"PK\x03\x04", 0, "application/zip"),
]


@dataclass
class PreparedFile:
    """A validated file ready to be stored as an Attachment."""

    name: str
    content_type: str
    size: int
    content: File
    duration: float | None = None


def sniff(head: bytes, name: str) -> str:
    """The content type told by the first bytes; text-like files fall back to the name's type."""
    for signature, offset, ctype in _SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:11] in {b"M4A", b"M4B"} else "video/mp4"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith(("image/", "audio/", "video/")) or guessed == "application/pdf":
        return "application/octet-stream"  # claims to be media but the bytes say otherwise
    return guessed


def kind_for(content_type: str) -> str:
    if content_type.startswith("image/"):
        return "image"
    if content_type.startswith("audio/"):
        return "audio"
    return "file"


def prepare_uploads(*, files: list, capabilities: Capabilities) -> list[PreparedFile]:
    """Validate uploaded files (count, size, sniffed type). Raises InboxError naming the file and limit."""
    if len(files) > MAX_FILES:
        raise InboxError(_("Attach at most %(n)d files to one message.") % {"n": MAX_FILES})
    prepared = []
    for upload in files:
        name = clean_line(getattr(upload, "name", "") or "file", limit=200) or "file"
        if upload.size == 0:
            raise InboxError(_("“%(name)s” is empty.") % {"name": name})
        if upload.size > capabilities.max_file_bytes:
            raise InboxError(
                _("“%(name)s” is too large for this channel (at most %(mb)d MB).")
                % {"name": name, "mb": capabilities.max_file_bytes // (1024 * 1024)}
            )
        upload.seek(0)
        head = upload.read(64)
        upload.seek(0)
        ctype = sniff(head, name)
        kind = kind_for(ctype)
        allowed = {"image": capabilities.image, "audio": capabilities.audio, "file": capabilities.file}[kind]
        if not allowed:
            raise InboxError(_("This channel does not accept files like “%(name)s”.") % {"name": name})
        prepared.append(PreparedFile(name=name, content_type=ctype, size=upload.size, content=upload))
    return prepared
