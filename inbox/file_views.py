"""Serving stored files: to members of the workspace, or through a signed expiring link.

Every response carries Content-Disposition, `nosniff` and a sandboxing CSP. Only a short list of
passive types (raster images, audio, video) is shown inline, and only when the stored bytes confirm
the type; everything else — SVG, HTML, JS, PDF, archives, a file whose bytes disagree — is a download
with a neutral content type, so nothing uploaded ever runs in our origin.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from media.uploads import HEAD_BYTES, sniff
from workspaces.access import workspace_member_required

from .files import unsign_token
from .models import Attachment

# Types a browser may show inline. Everything else (SVG, HTML, JS, PDF, …) is always a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "audio/ogg", "audio/mpeg",
                          "audio/mp4", "audio/webm", "audio/wav", "audio/aac", "audio/flac", "video/mp4"})
# Sniffed types that confirm a stored type (a WebM recording sniffs as audio/webm, an .m4a as video/mp4 …).
_SAME_FAMILY = {"audio/mp4": {"audio/mp4", "video/mp4"}, "video/mp4": {"audio/mp4", "video/mp4"},
                "audio/webm": {"audio/webm"}, "audio/ogg": {"audio/ogg"}}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\"\\/]")


def _download_name(name: str) -> str:
    return _UNSAFE_NAME.sub("_", name or "").strip(" .") or "file"


def _inline_type(attachment: Attachment, head: bytes) -> str | None:
    """The stored type, when it may be shown inline and the bytes agree with it; else None."""
    ctype = (attachment.content_type or "").split(";")[0].strip().lower()
    if ctype not in INLINE_TYPES:
        return None
    return ctype if sniff(head, "") in _SAME_FAMILY.get(ctype, {ctype}) else None


async def _chunks(handle, size: int) -> AsyncIterator[bytes]:
    """Read the file in a worker thread chunk by chunk (the response's closers close it)."""
    read = sync_to_async(handle.read, thread_sensitive=False)
    while chunk := await read(size):
        yield chunk


def _serve(request: HttpRequest, attachment: Attachment, *, same_origin_only: bool) -> FileResponse:
    if not attachment.file:
        raise Http404("This file has not been downloaded yet.")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The stored file is missing.") from None
    head = handle.read(HEAD_BYTES)
    handle.seek(0)
    inline = _inline_type(attachment, head)
    response = FileResponse(handle, as_attachment=inline is None, filename=_download_name(attachment.name),
                            content_type=inline or "application/octet-stream")
    if isinstance(request, ASGIRequest):
        # Under ASGI a sync iterator is read whole into memory before the first byte goes out: stream instead.
        response.streaming_content = _chunks(handle, response.block_size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Referrer-Policy"] = "no-referrer"
    if same_origin_only:
        response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@workspace_member_required
@require_safe
def attachment(request: HttpRequest, slug: str, attachment_id: int) -> FileResponse:
    found = get_object_or_404(Attachment.objects.for_workspace(request.workspace), pk=attachment_id)
    return _serve(request, found, same_origin_only=True)


@require_safe
def signed_file(request: HttpRequest, token: str) -> FileResponse:
    """For providers and API receivers: no session, the signature and its age are the permission."""
    ids = unsign_token(token)
    if ids is None:
        raise Http404
    workspace_id, attachment_id = ids
    found = get_object_or_404(Attachment.objects.for_workspace(workspace_id), pk=attachment_id)
    return _serve(request, found, same_origin_only=False)
