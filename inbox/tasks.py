"""Thin Celery tasks: ids in, scoped load, call the service."""

from __future__ import annotations

from celery import shared_task

from contacts.services import profiles
from workspaces.models import Workspace

from .services import delivery
from .services import downloads as media


@shared_task(bind=True, acks_late=True, max_retries=delivery.MAX_ATTEMPTS)
def deliver_message(self, workspace_id: int, message_id: int) -> None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    final = self.request.retries >= self.max_retries
    delay = delivery.deliver(workspace=workspace, message_id=message_id, final_attempt=final)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(acks_late=True)
def requeue_stale_messages() -> int:
    """Periodic sweep: a lost task loses no message."""
    stale = delivery.stale_queued()
    for workspace_id, message_id in stale:
        deliver_message.delay(workspace_id, message_id)
    return len(stale)


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
