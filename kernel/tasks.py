"""The kernel's periodic sweep (config/settings.py CELERY_BEAT_SCHEDULE runs it)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from . import jobs


@shared_task(acks_late=True)
def sweep_jobs(margin_seconds: float | None = None) -> int:
    """Publish again the pending jobs nobody took; prune finished ones. Returns how many were published."""
    margin = jobs.SWEEP_MARGIN if margin_seconds is None else timedelta(seconds=margin_seconds)
    return jobs.sweep(margin=margin)
