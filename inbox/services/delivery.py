"""Outbound delivery through the channel's connector: claimed, idempotent, retried, then failed."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import registry
from connectors.base import SendError, TransientSendError
from inbox import live
from inbox.errors import InboxError
from inbox.models import Message
from inbox.services import delivery_media
from kernel import events as domain
from kernel.dispatch import record
from realtime import events
from workspaces.models import Workspace

CLAIM_SECONDS = 60
STALE_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 6


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (2, 4, 8 … s, capped at 5 min); Retry-After wins when given."""
    if retry_after is not None:
        return retry_after
    base = min(300.0, 2.0 ** max(1, attempt))
    return base / 2 + random.uniform(0, base / 2)


def _claim(workspace: Workspace, message_id: int) -> Message | None:
    """Take the message for one delivery attempt, or None if it is not queued or someone else has it."""
    now = timezone.now()
    claimed = (
        Message.objects.for_workspace(workspace)
        .filter(pk=message_id, status=Message.Status.QUEUED, direction=Message.Direction.OUT)
        .filter(Q(status_changed_at__isnull=True) | Q(status_changed_at__lt=now - timedelta(seconds=CLAIM_SECONDS)))
        .update(status_changed_at=now)
    )
    if not claimed:
        return None
    return (
        Message.objects.for_workspace(workspace)
        .select_related("channel", "conversation__contact").prefetch_related("attachments")
        .get(pk=message_id)
    )


def _reload(workspace: Workspace, message: Message) -> Message:
    fresh = (
        Message.objects.for_workspace(workspace)
        .select_related("channel", "conversation__contact").prefetch_related("attachments")
        .get(pk=message.pk)
    )
    fresh.attempts = message.attempts
    return fresh


def deliver(*, workspace: Workspace, message_id: int, final_attempt: bool = False) -> float | None:
    """Try to deliver one queued message. Returns a delay in seconds when it should be retried.

    Idempotent: a message that is not queued (already sent, failed, or being sent) is left alone.
    """
    message = _claim(workspace, message_id)
    if message is None:
        return None
    message.attempts += 1
    try:
        connector = registry.get(message.channel.kind)
        if message.attachments.all():
            delivery_media.prepare_for_channel(message=message, capabilities=connector.capabilities)
            message = _reload(workspace, message)
            delivery_media.bind_for_delivery(message)
        message.record_parts = lambda parts, pk=message.pk: Message.objects.filter(pk=pk).update(
            delivered_parts=parts)
        result = connector.send(message.channel, message)
    except TransientSendError as exc:
        if final_attempt or message.attempts >= MAX_ATTEMPTS:
            _finish(message, status=Message.Status.FAILED, reason=str(exc))
            return None
        # Release the claim so the retry (or the sweep) can take it again.
        Message.objects.filter(pk=message.pk).update(attempts=message.attempts, status_changed_at=None)
        return backoff_seconds(message.attempts, exc.retry_after)
    except SendError as exc:
        _finish(message, status=Message.Status.FAILED, reason=str(exc))
        return None
    except Exception as exc:  # e.g. an undecodable recording: fail visibly instead of retrying forever
        _finish(message, status=Message.Status.FAILED, reason=f"Could not prepare the message: {exc}"[:500])
        raise
    _finish(message, status=Message.Status.SENT, reason="", external_id=result.external_id)
    return None


def _finish(message: Message, *, status: str, reason: str, external_id: str | None = None) -> None:
    message.status = status
    message.failure_reason = reason[:500]
    message.status_changed_at = timezone.now()
    fields = ["status", "failure_reason", "status_changed_at", "attempts"]
    if external_id:
        message.external_id = external_id
        fields.append("external_id")
    message.save(update_fields=fields)
    ws_id, msg_id = message.workspace_id, message.pk
    events.publish(ws_id, events.MESSAGE_UPDATED, live.message_payload(ws_id, msg_id))


@transaction.atomic
def retry_failed(*, workspace: Workspace, message_id: int) -> Message:
    """Put a failed outbound message back in the queue (the agent's Retry button)."""
    message = Message.objects.for_workspace(workspace).select_for_update().filter(pk=message_id).first()
    if message is None:
        raise Message.DoesNotExist
    if message.direction != Message.Direction.OUT or message.status != Message.Status.FAILED:
        raise InboxError(_("Only failed messages can be retried."))
    message.status = Message.Status.QUEUED
    message.failure_reason = ""
    message.attempts = 0
    message.status_changed_at = None
    message.save(update_fields=["status", "failure_reason", "attempts", "status_changed_at"])
    ws_id, msg_id = workspace.pk, message.pk
    events.publish_on_commit(ws_id, events.MESSAGE_UPDATED, lambda: live.message_payload(ws_id, msg_id))
    record(domain.MessageQueued(workspace_id=ws_id, conversation_id=message.conversation_id, message_id=msg_id,
                                sender=message.sender_type, actor_id=None))
    return message


def stale_queued(*, limit: int = 500) -> list[tuple[int, int]]:
    """(workspace id, message id) of outbound messages queued for over a minute and not being sent."""
    now = timezone.now()
    return list(
        Message.objects.filter(status=Message.Status.QUEUED, direction=Message.Direction.OUT,
                               created_at__lt=now - STALE_AFTER)
        .filter(Q(status_changed_at__isnull=True) | Q(status_changed_at__lt=now - timedelta(seconds=CLAIM_SECONDS)))
        .order_by("created_at").values_list("workspace_id", "pk")[:limit]
    )
