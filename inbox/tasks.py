"""Thin Celery tasks: ids in, scoped load, call the service."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from contacts.services import profiles
from workspaces.models import Workspace

from .services import delivery
from .services import downloads as media


# Retries: each real attempt counts on the message (delivery.MAX_ATTEMPTS, then failed); the rest of the
# headroom is for a copy that arrives before the message is due and waits for its time.
@shared_task(bind=True, acks_late=True, max_retries=delivery.MAX_ATTEMPTS * 4)
def deliver_message(self, workspace_id: int, message_id: int) -> None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    wait = delivery.deliver(workspace=workspace, message_id=message_id, when_due=True)
    if wait is not None:
        raise self.retry(countdown=wait)  # at next_attempt_at: Retry-After or back-off


@shared_task(acks_late=True)
def requeue_stale_messages() -> int:
    """Periodic sweep: a lost task loses no message (only messages whose next attempt is due)."""
    stale = delivery.stale_queued()
    for workspace_id, message_id in stale:
        deliver_message.delay(workspace_id, message_id)
    return len(stale)


@worker_ready.connect
def requeue_when_a_worker_starts(**_kwargs) -> None:
    """A worker that starts (after a crash, a deploy) sweeps at once, and again when a claim the killed worker
    left could have expired: what it was sending goes out then, not at the beat's next turn."""
    requeue_stale_messages.delay()
    requeue_stale_messages.apply_async(countdown=settings.DELIVERY_CLAIM_SECONDS + 1)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=10)
def download_attachments(self, workspace_id: int, message_id: int) -> None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    if media.download_attachments(workspace=workspace, message_id=message_id):
        raise self.retry()


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=30)
def fetch_contact_profile(self, workspace_id: int, contact_id: int, channel_id: int) -> None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    if profiles.contact_fill_from_channel(workspace=workspace, contact_id=contact_id, channel_id=channel_id):
        raise self.retry()
