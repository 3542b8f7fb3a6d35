"""Serving stored files: to members of the workspace, or through a signed expiring link."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from workspaces.access import workspace_member_required

from .files import unsign_token
from .models import Attachment

# Types a browser may show inline. Everything else (SVG, HTML, JS, …) is always a download.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/ogg", "audio/mpeg", "audio/mp4",
                "audio/webm", "audio/wav", "video/mp4", "application/pdf"}


def _serve(attachment: Attachment) -> FileResponse:
    if not attachment.file:
        raise Http404("This file has not been downloaded yet.")
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=not inline, filename=attachment.name,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@workspace_member_required
@require_GET
def attachment(request: HttpRequest, slug: str, attachment_id: int) -> FileResponse:
    return _serve(get_object_or_404(Attachment.objects.for_workspace(request.workspace), pk=attachment_id))


@require_GET
def signed_file(request: HttpRequest, token: str) -> FileResponse:
    """For providers and API receivers: no session, the signature and its age are the permission."""
    ids = unsign_token(token)
    if ids is None:
        raise Http404
    workspace_id, attachment_id = ids
    return _serve(get_object_or_404(Attachment.objects.for_workspace(workspace_id), pk=attachment_id))
