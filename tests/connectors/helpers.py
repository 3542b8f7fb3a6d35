"""Connector test helpers: outbound messages with attachments, webhook posts, and a concurrent hammer."""

from __future__ import annotations

import functools
import io
import json
import threading

import requests
from django.core.files.base import ContentFile
from django.utils import timezone

from inbox.models import Attachment, Channel, Message
from tests import factories as f


@functools.cache
def voice_bytes() -> bytes:
    """A real half-second OGG/Opus recording (voice notes are decoded and converted before delivery)."""
    from pydub import AudioSegment

    buffer = io.BytesIO()
    AudioSegment.silent(duration=500, frame_rate=48000).export(buffer, format="ogg", codec="libopus")
    return buffer.getvalue()


def outbound(channel: Channel, *, contact_id: str, kind: str = "text", body: str = "Hola Ana",
             files: tuple[tuple[str, str, bytes], ...] = (), external_id: str | None = None) -> Message:
    """A queued outbound message to a contact known on this channel as contact_id."""
    workspace = channel.workspace
    contact = f.make_contact(workspace, channel, external_id=contact_id)
    conversation = f.make_conversation(workspace, channel=channel, contact=contact)
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel=channel, direction="out", kind=kind,
        sender_type="member", body=body, status="queued" if external_id is None else "sent",
        external_id=external_id, created_at=timezone.now(),
    )
    for name, ctype, data in files:
        attachment = Attachment(workspace=workspace, message=message, name=name, content_type=ctype, size=len(data))
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save()
    return message


def post_json(client, channel: Channel, payload: dict | bytes, headers: dict[str, str] | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(f"/hooks/{channel.kind}/{channel.uuid}/", data=body, content_type="application/json",
                       headers=headers or {})


def hammer(url: str, body: bytes, headers: dict[str, str], n: int = 20) -> list[int]:
    """POST the same body n times at once (threads released together); the status codes."""
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def go() -> None:
        barrier.wait()
        response = requests.post(url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=30)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
