"""The job outbox: one row per piece of background work, written in the transaction that asks for it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Job(models.Model):
    """'Run task `task` with `args`, not before `run_after`' — the durable half of `kernel.jobs.enqueue`.

    Written inside the service's transaction, so the work exists exactly when the change commits. A relay
    publishes it to Celery after commit; the task wrapper (kernel.worker) marks it done; the sweep
    (kernel.tasks.sweep_jobs) republishes a pending job nobody picked up. `run_after` is when the job is
    next expected to be taken: its first run, its next retry, or the end of the lease of a running try.
    Infrastructure, not a tenant row: the task's own args carry the workspace id it scopes by.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    run_after = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The sweep: pending jobs in run_after order (finished jobs are most of the table).
            models.Index(fields=["run_after"], condition=Q(state="pending"), name="kernel_job_pending_due"),
            # The pruning of finished jobs.
            models.Index(fields=["updated_at"], condition=~Q(state="pending"), name="kernel_job_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} [{self.state}]"
