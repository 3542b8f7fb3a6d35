"""Attachment links: members' links through the app, and signed expiring links for providers."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Attachment

SIGNED_LINK_MAX_AGE = 7 * 24 * 3600
_SALT = "parley.attachment"


def signed_token(attachment: Attachment) -> str:
    return signing.dumps({"a": attachment.pk, "w": attachment.workspace_id}, salt=_SALT, compress=True)


def unsign_token(token: str) -> tuple[int, int] | None:
    """(workspace id, attachment id), or None for a bad or expired token."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=SIGNED_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return int(data["w"]), int(data["a"])


def signed_url(attachment: Attachment) -> str:
    """An absolute link (PUBLIC_BASE_URL) that works without a session until it expires."""
    return settings.PUBLIC_BASE_URL + reverse("signed_file", args=[signed_token(attachment)])


def attachment_payload(attachment: Attachment) -> dict:
    return {"url": signed_url(attachment), "name": attachment.name,
            "content_type": attachment.content_type, "size": attachment.size}
