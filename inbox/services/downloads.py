"""Fetching inbound media soon after arrival (provider links expire).

A connector may define `fetch_media(channel, attachment) -> (bytes, content_type)` when its links need
resolving first (Telegram getFile, the Graph media endpoint with the access token); otherwise the
attachment's source_url is fetched as is.
"""

from __future__ import annotations

import mimetypes

from django.core.files.base import ContentFile

from connectors import registry
from connectors.base import SendError, TransientSendError
from connectors.http import fetch_url
from inbox.models import Attachment
from kernel.dispatch import record
from kernel.events import AttachmentsStored
from media.voice import measure_duration
from workspaces.models import Workspace


def download_attachments(*, workspace: Workspace, message_id: int) -> bool:
    """Download every not-yet-stored attachment of the message. Returns True to ask for a retry.

    When any file was stored, AttachmentsStored is recorded: the history re-renders the message live.
    """
    retry = False
    stored_in: int | None = None  # the conversation of a message that got a file
    attachments = (
        Attachment.objects.for_workspace(workspace).select_related("message__channel")
        .filter(message_id=message_id, file="")
    )
    for attachment in attachments:
        if not attachment.source_url:
            continue
        channel = attachment.message.channel
        try:
            fetch_media = getattr(registry.get(channel.kind), "fetch_media", None)
        except SendError:
            fetch_media = None
        try:
            if fetch_media is not None:
                data, content_type = fetch_media(channel, attachment)
            else:
                data, content_type = fetch_url(attachment.source_url)
        except TransientSendError:
            retry = True
            continue
        except SendError:
            continue  # refused for good (private address, too big, 4xx): the link stays as it came
        attachment.content_type = attachment.content_type or content_type or (
            mimetypes.guess_type(attachment.name)[0] or "application/octet-stream")
        attachment.size = len(data)
        attachment.file.save(attachment.name, ContentFile(data), save=False)
        fields = ["file", "content_type", "size"]
        if attachment.content_type.startswith("audio/"):
            attachment.duration = measure_duration(data)  # the history player shows the length
            fields.append("duration")
        attachment.save(update_fields=fields)
        stored_in = attachment.message.conversation_id
    if stored_in is not None:
        record(AttachmentsStored(workspace_id=workspace.pk, conversation_id=stored_in, message_id=message_id))
    return retry


