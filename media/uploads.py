"""The one upload policy: files from agents (composer), snippets and web chat visitors.

Every upload goes through prepare_files() with the policy of where it comes from (for_agents,
for_snippets, for_visitors): how many files, how large each, which kinds. The browser's word (the file
name, the Content-Type it sent) is never trusted: the type stored and shown is what the first bytes say.
A file that claims to be media but is not becomes a plain file (served as a download); markup (HTML,
SVG, XML) is labelled as such so it is never rendered inline.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _

from connectors.base import Capabilities
from kernel.errors import ParleyError as InboxError
from kernel.text import clean_line

MAX_FILES = 10  # agents, per message
VISITOR_MAX_FILES = 5
VISITOR_MAX_FILE_BYTES = 10 * 1024 * 1024
SNIPPET_MAX_FILES = 5
NAME_LIMIT = 200
HEAD_BYTES = 512

# Images a browser shows as a thumbnail and every channel sends as a photo. Anything else that
# calls itself an image (SVG, TIFF, HEIC, …) travels as a file.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Leading bytes → content type. Enough to tell real images/audio/documents from renamed files.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"%PDF-", 0, "application/pdf"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"\xff\xf3", 0, "audio/mpeg"),
    (b"\xff\xf2", 0, "audio/mpeg"),
    (b"\xff\xfa", 0, "audio/mpeg"),
    (b"\xff\xe3", 0, "audio/mpeg"),
    (b"\xff\xf1", 0, "audio/aac"),
    (b"\xff\xf9", 0, "audio/aac"),
    (b"\x1a\x45\xdf\xa3", 0, "audio/webm"),
    (b"fLaC", 0, "audio/flac"),
    (b"#!AMR", 0, "audio/amr"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"Rar!\x1a\x07", 0, "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed"),
    (b"\x1f\x8b", 0, "application/gzip"),
    (b"MZ", 0, "application/vnd.microsoft.portable-executable"),
    (b"\x7fELF", 0, "application/x-executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/x-ole-storage"),  # old .doc/.xls/.ppt/.msi
]

# ISO base media (ftyp) brands: audio, still images; everything else is video.
_FTYP_AUDIO = {b"M4A ", b"M4B ", b"M4P "}
_FTYP_IMAGE = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
               b"avif": "image/avif", b"avis": "image/avif"}

# Containers whose name tells the real format: a .docx is a zip, a .doc an OLE file.
_ZIP_FORMATS = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"}
_OLE_FORMATS = {"doc", "xls", "ppt"}

# Markup a browser would render (and run scripts in) if it were ever served inline.
_MARKUP = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(!doctype\s+(?P<doctype>\w+)|(?P<tag>\w+))",
                     re.IGNORECASE | re.DOTALL)
_HTML_TAGS = {b"html", b"head", b"body", b"script", b"iframe", b"div", b"a", b"img", b"meta", b"title", b"style",
              b"form", b"p", b"table", b"span", b"h1", b"object", b"embed", b"base", b"link"}

# Right-to-left overrides and other invisible direction marks turn "photo‮gpj.exe" into "photoexe.jpg".
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


@dataclass
class PreparedFile:
    """A validated file ready to be stored as an Attachment."""

    name: str
    content_type: str
    size: int
    content: File
    duration: float | None = None


def _by_name(name: str) -> str:
    return mimetypes.guess_type(name.lower())[0] or "application/octet-stream"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _markup(head: bytes) -> str | None:
    """text/html or image/svg+xml when the bytes are markup a browser would render, else None."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    match = _MARKUP.match(head)
    if match is None:
        return None
    word = (match.group("doctype") or match.group("tag") or b"").lower()
    if word == b"svg":
        return "image/svg+xml"
    if word in _HTML_TAGS:
        return "text/html"
    if head.lstrip().lower().startswith(b"<?xml"):
        return "image/svg+xml" if b"<svg" in head.lower() else "application/xml"
    return None


def sniff(head: bytes, name: str) -> str:
    """The content type told by the first bytes; text-like files fall back to the name's type.

    A name that claims media (image, audio, video, PDF) the bytes do not confirm gives
    application/octet-stream: such a file is only ever a download.
    """
    for signature, offset, ctype in _SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            if ctype == "application/zip" and _extension(name) in _ZIP_FORMATS:
                return _by_name(name)
            if ctype == "application/x-ole-storage":
                return _by_name(name) if _extension(name) in _OLE_FORMATS else "application/octet-stream"
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_AUDIO:
            return "audio/mp4"
        if brand in _FTYP_IMAGE:
            return _FTYP_IMAGE[brand]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    markup = _markup(head)
    if markup:
        return markup
    guessed = _by_name(name)
    if guessed.startswith(("image/", "audio/", "video/")) or guessed == "application/pdf":
        return "application/octet-stream"  # claims to be media but the bytes say otherwise
    if b"\x00" in head and guessed.startswith("text/"):
        return "application/octet-stream"  # binary bytes under a text name
    return guessed


def kind_for(content_type: str) -> str:
    """The message kind a file makes: a thumbnail-able image, audio, or any other file."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type.startswith("audio/"):
        return "audio"
    return "file"


def clean_name(raw: str | None) -> str:
    """A display name: one line, no direction tricks, no directories, at most NAME_LIMIT characters."""
    name = _BIDI.sub("", str(raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = clean_line(name, limit=500).strip(" .") or "file"
    if len(name) > NAME_LIMIT:  # keep the extension visible
        ext = ("." + _extension(name)) if 0 < len(_extension(name)) <= 10 else ""
        name = name[:NAME_LIMIT - len(ext) - 1] + "…" + ext
    return name


def size_label(num: int) -> str:
    """1536 → "1.5 KB"; whole numbers without decimals ("16 MB", "2 KB")."""
    if num < 1024:
        return f"{num} B"
    for unit in ("KB", "MB", "GB"):
        num /= 1024
        if num < 1024 or unit == "GB":
            return f"{num:.1f}".removesuffix(".0") + f" {unit}"
    return ""


def _kind_label(kind: str) -> str:
    return {"image": _("images"), "audio": _("audio files")}.get(kind, _("files"))


@dataclass(frozen=True)
class UploadPolicy:
    """What one source of uploads may send: how many files at once, how large each, which kinds."""

    max_files: int
    max_file_bytes: int
    image: bool = True
    audio: bool = True
    file: bool = True
    channel_limit: bool = False  # the size limit is the channel's (said so in the error)


def for_agents(capabilities: Capabilities) -> UploadPolicy:
    """Agents' composer: the channel's size limit and the kinds it can deliver."""
    return UploadPolicy(max_files=MAX_FILES, max_file_bytes=capabilities.max_file_bytes, image=capabilities.image,
                        audio=capabilities.audio, file=capabilities.file, channel_limit=True)


def for_snippets() -> UploadPolicy:
    return UploadPolicy(max_files=SNIPPET_MAX_FILES,
                        max_file_bytes=int(getattr(settings, "SNIPPET_ATTACHMENT_MAX_BYTES", 16 * 1024 * 1024)))


def for_visitors() -> UploadPolicy:
    """Web chat visitors: any kind (agents download what is not an image or audio), smaller files."""
    return UploadPolicy(max_files=VISITOR_MAX_FILES, max_file_bytes=VISITOR_MAX_FILE_BYTES)


def prepare_file(upload, *, policy: UploadPolicy) -> PreparedFile:
    """One uploaded file checked (not empty, within the size limit, an allowed kind) and typed by its bytes.

    Raises InboxError naming the file and the limit.
    """
    name = clean_name(getattr(upload, "name", ""))
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise InboxError(_("“%(name)s” is empty (0 bytes); choose another file.") % {"name": name})
    if size > policy.max_file_bytes:
        limits = {"name": name, "size": size_label(size), "limit": size_label(policy.max_file_bytes)}
        if policy.channel_limit:
            raise InboxError(_("“%(name)s” is too large for this channel: %(size)s, the limit is %(limit)s.")
                             % limits)
        raise InboxError(_("“%(name)s” is too large: %(size)s, the limit is %(limit)s.") % limits)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    ctype = sniff(head, name)
    kind = kind_for(ctype)
    if not {"image": policy.image, "audio": policy.audio, "file": policy.file}[kind]:
        raise InboxError(
            _("This channel does not accept %(kind)s like “%(name)s”.") % {"kind": _kind_label(kind), "name": name}
        )
    return PreparedFile(name=name, content_type=ctype, size=size, content=upload)


def prepare_files(files: list, *, policy: UploadPolicy) -> list[PreparedFile]:
    """Check the count, then every file (see prepare_file). Raises InboxError naming the file and limit.

    One refused file refuses them all, so nothing is stored half-way.
    """
    if len(files) > policy.max_files:
        raise InboxError(
            _("Attach at most %(n)d files to one message (you chose %(count)d).")
            % {"n": policy.max_files, "count": len(files)}
        )
    return [prepare_file(upload, policy=policy) for upload in files]


def prepare_uploads(*, files: list, capabilities: Capabilities) -> list[PreparedFile]:
    """An agent's files for a channel with these capabilities (see prepare_files).

    The agent keeps the typed text and the other files in the composer when one is refused.
    """
    return prepare_files(files, policy=for_agents(capabilities))
