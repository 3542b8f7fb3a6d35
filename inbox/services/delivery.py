"""Outbound delivery through the channel's connector: claimed, fenced, retried at its time, then failed.

One attempt:
1. Claim the queued message: a fresh token, `claimed_until` = now + DELIVERY_CLAIM_SECONDS. Nobody claims
   a message whose claim is live; `next_attempt_at` is set to the claim's end, so if this attempt dies
   (a SIGKILLed worker) the message is due again the moment its claim expires.
2. Build the neutral OutboundMessage (connectors.base) from the database: recipient, text and files (a
   local path and a signed absolute URL each, voice notes converted for the channel), and the keys of
   the parts the provider accepted on earlier attempts, which the connector skips.
3. The connector sends and yields each part the provider accepted; each is recorded at once as a
   DeliveredPart, and the claim renewed for the next part, only while the token is still ours (fencing):
   an attempt that outlived its claim records nothing and stops.
4. The result, under the same condition: sent; queued again with `next_attempt_at` (Retry-After, or
   back-off with jitter); or failed with the reason, after MAX_ATTEMPTS attempts or a final refusal.

Delivery is at least once: a part the provider accepted just before its worker died is sent again by the
next attempt. The API channel sends the message id as X-Parley-Delivery on every attempt, so a receiver
drops the repeat and sees the message once.
"""

from __future__ import annotations

import random
import uuid
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import registry
from connectors.base import (
    Connector,
    OutboundChannel,
    OutboundMessage,
    OutboundPart,
    SendError,
    SentPart,
    TransientSendError,
)
from contacts.models import ContactIdentity
from inbox.errors import InboxError
from inbox.files import signed_url
from inbox.models import DeliveredPart, Message
from inbox.services import delivery_media
from kernel import events as domain
from kernel.dispatch import record
from workspaces.models import Workspace

STALE_AFTER = timedelta(minutes=1)  # the sweep's grace: a task that should have run by now was lost
MAX_ATTEMPTS = 6


def claim_length() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (2, 4, 8 … s, capped at 5 min); Retry-After wins when given."""
    if retry_after is not None:
        return retry_after
    base = min(300.0, 2.0 ** max(1, attempt))
    return base / 2 + random.uniform(0, base / 2)


class ClaimLost(Exception):
    """Another attempt holds the message now (ours outlived its claim): this one records nothing more."""


@dataclass(frozen=True, slots=True)
class Attempt:
    message: Message
    token: uuid.UUID

    def mine(self) -> QuerySet[Message]:
        """The message, only while this attempt's claim holds: every write of an attempt goes through it."""
        return Message.objects.filter(pk=self.message.pk, claim_token=self.token, status=Message.Status.QUEUED)


def deliver(*, workspace: Workspace, message_id: int, when_due: bool = False) -> float | None:
    """Make one delivery attempt of a queued outbound message. Returns the seconds until it should be tried
    again, or None when there is nothing more to do here.

    None also when another attempt holds the message's claim (if that attempt dies, its claim expires and
    the sweep re-enqueues the message) or when it is not a queued outbound message. With when_due (the
    task), a message whose next attempt is not due yet is not tried: the wait is returned.
    """
    attempt = _claim(workspace, message_id, when_due=when_due)
    if not isinstance(attempt, Attempt):
        return attempt
    message = attempt.message
    if message.attempts > MAX_ATTEMPTS:  # the earlier attempts were all cut short (their worker died)
        _finish(attempt, status=Message.Status.FAILED,
                reason=_("Delivery was interrupted %(count)d times. Retry when the channel works again.")
                % {"count": MAX_ATTEMPTS})
        return None
    try:
        connector = registry.get(message.channel.kind)
        with ExitStack() as files:
            outbound, accepted_ids = _outbound(workspace, message, connector, files)
            _renew(attempt)  # preparing (converting a voice note) took part of the claim: start the send fresh
            with closing(connector.send(outbound)) as sending:
                for part in sending:
                    _record(attempt, part)
                    accepted_ids.append(part.external_id or "")
    except ClaimLost:
        return None
    except TransientSendError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _finish(attempt, status=Message.Status.FAILED, reason=str(exc))
            return None
        delay = backoff_seconds(message.attempts, exc.retry_after)
        released = attempt.mine().update(claim_token=None, claimed_until=None,
                                         next_attempt_at=timezone.now() + timedelta(seconds=delay))
        return delay if released else None
    except SendError as exc:
        _finish(attempt, status=Message.Status.FAILED, reason=str(exc))
        return None
    except Exception as exc:  # e.g. an undecodable recording: fail visibly instead of retrying forever
        _finish(attempt, status=Message.Status.FAILED, reason=f"Could not prepare the message: {exc}"[:500])
        raise
    _finish(attempt, status=Message.Status.SENT, reason="",
            external_id=next((sent_id for sent_id in accepted_ids if sent_id), None))
    return None


def _claim(workspace: Workspace, message_id: int, *, when_due: bool) -> Attempt | float | None:
    """Take the message for one attempt (a fresh token; nobody else while the claim is live), or say why not:
    the seconds until it is due (when_due), or None."""
    now = timezone.now()
    token, until = uuid.uuid4(), now + claim_length()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) if when_due else Q()
    claimed = (
        Message.objects.for_workspace(workspace)
        .filter(free, due, pk=message_id, status=Message.Status.QUEUED, direction=Message.Direction.OUT)
        .update(claim_token=token, claimed_until=until, next_attempt_at=until, attempts=F("attempts") + 1)
    )
    if not claimed:
        return _wait(workspace, message_id, now) if when_due else None
    message = (Message.objects.for_workspace(workspace).select_related("channel", "conversation", "sender__user")
               .get(pk=message_id))
    return Attempt(message, token)


def _wait(workspace: Workspace, message_id: int, now: datetime) -> float | None:
    """Seconds until a queued message nobody is sending is due; None when no attempt should wait for it."""
    row = (Message.objects.for_workspace(workspace)
           .filter(pk=message_id, status=Message.Status.QUEUED, direction=Message.Direction.OUT)
           .values("next_attempt_at", "claimed_until").first())
    if row is None or (row["claimed_until"] and row["claimed_until"] > now):
        return None  # not queued, or another attempt has it
    if row["next_attempt_at"] and row["next_attempt_at"] > now:
        return (row["next_attempt_at"] - now).total_seconds()
    return None


def _outbound(workspace: Workspace, message: Message, connector: Connector,
              files: ExitStack) -> tuple[OutboundMessage, list[str]]:
    """The neutral message for the connector, and the provider ids of the parts accepted earlier (in order)."""
    channel = message.channel
    delivery_media.prepare_for_channel(message=message, capabilities=connector.capabilities)
    parts = [OutboundPart(key="text", kind="text", text=message.body)] if message.body else []
    for attachment in delivery_media.files_for_delivery(message):
        parts.append(OutboundPart(
            key=f"file:{attachment.pk}", kind=_file_kind(message.kind, attachment.content_type),
            path=delivery_media.local_file(attachment, files), name=attachment.name,
            content_type=attachment.content_type, size=delivery_media.stored_size(attachment),
            url=signed_url(attachment),
        ))
    earlier = list(DeliveredPart.objects.filter(message=message).order_by("pk").values_list("key", "external_id"))
    recipient = (ContactIdentity.objects.for_workspace(workspace)
                 .filter(contact_id=message.conversation.contact_id, channel_id=channel.pk)
                 .order_by("pk").values_list("external_id", flat=True).first())
    outbound = OutboundMessage(
        id=message.pk,
        channel=OutboundChannel(id=channel.pk, kind=channel.kind, config=dict(channel.config or {}),
                                webhook_url=channel.webhook_url, secret=channel.secret),
        recipient_id=recipient or "", contact_id=message.conversation.contact_id,
        conversation_id=message.conversation_id, kind=message.kind, parts=tuple(parts),
        sender=message.sender_type, author=message.sender.display_name if message.sender else "",
        created_at=message.created_at, already_sent=frozenset(key for key, _id in earlier),
    )
    return outbound, [external_id for _key, external_id in earlier]


def _file_kind(message_kind: str, content_type: str) -> str:
    """voice (the recording of a voice note), image, audio or file: what a connector sends it as."""
    ctype = content_type.split(";")[0].strip().lower()
    if message_kind == Message.Kind.VOICE:
        return "voice"
    if ctype.startswith("image/"):
        return "image"
    if ctype.startswith("audio/"):
        return "audio"
    return "file"


def _renew(attempt: Attempt) -> datetime:
    """Extend the claim (before each part); ClaimLost when it is no longer ours."""
    until = timezone.now() + claim_length()
    if not attempt.mine().update(claimed_until=until, next_attempt_at=until):
        raise ClaimLost
    return until


def _record(attempt: Attempt, part: SentPart) -> None:
    """Keep one part the provider accepted and renew the claim for the next one, only while the claim is ours."""
    message = attempt.message
    with transaction.atomic():
        _renew(attempt)  # the row lock it takes holds off a new claim until the part is stored
        DeliveredPart.objects.bulk_create([DeliveredPart(
            workspace_id=message.workspace_id, message=message, key=part.key[:64],
            external_id=(part.external_id or "")[:255], accepted_at=timezone.now(),
        )], ignore_conflicts=True)


def _finish(attempt: Attempt, *, status: str, reason: str, external_id: str | None = None) -> None:
    """Write the attempt's result and release the claim; nothing when another attempt holds the message now."""
    now = timezone.now()
    result = {"status": status, "failure_reason": reason[:500], "status_changed_at": now, "claim_token": None,
              "claimed_until": None, "next_attempt_at": None}
    if external_id:
        result["external_id"] = external_id
    if not attempt.mine().update(**result):
        return
    message = attempt.message
    record(domain.MessageStatusChanged(workspace_id=message.workspace_id, conversation_id=message.conversation_id,
                                       message_id=message.pk, status=status))


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
    message.next_attempt_at = None  # at once; parts accepted before the failure stay sent
    message.save(update_fields=["status", "failure_reason", "attempts", "status_changed_at", "next_attempt_at"])
    ws_id, msg_id = workspace.pk, message.pk
    record(domain.MessageQueued(workspace_id=ws_id, conversation_id=message.conversation_id, message_id=msg_id,
                                sender=message.sender_type, actor_id=None, retry=True))
    return message


def stale_queued(*, limit: int = 500) -> list[tuple[int, int]]:
    """(workspace id, message id) of queued outbound messages whose task was lost: the sweep's work.

    A message is due when its next attempt's time has passed, and nobody holds a live claim on it. A claim
    that expired means its attempt died: due at once. Otherwise the sweep gives the task that should have
    run (the first one, or the retry scheduled for next_attempt_at) STALE_AFTER to do it. A message told
    `Retry-After: 600` is not touched before those ten minutes have passed.
    """
    now = timezone.now()
    dead_claim = Q(claimed_until__lte=now)
    retry_lost = Q(claimed_until__isnull=True, next_attempt_at__lte=now - STALE_AFTER)
    first_lost = Q(claimed_until__isnull=True, next_attempt_at__isnull=True, created_at__lt=now - STALE_AFTER)
    return list(
        Message.objects.filter(status=Message.Status.QUEUED, direction=Message.Direction.OUT)
        .filter(dead_claim | retry_lost | first_lost)
        .order_by("created_at").values_list("workspace_id", "pk")[:limit]
    )
