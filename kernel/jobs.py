"""Background work, named by task path: the one way services and the dispatcher ask for a Celery task.

`enqueue("inbox.tasks.deliver_message", workspace_id, message_id)` inside a transaction writes a `Job`
row in that transaction (a transactional outbox): the work exists if and only if the change commits.
After commit the process's relay (kernel.relay) publishes it to Celery from a background thread, so a
request never talks to the broker; the task wrapper (kernel.worker) marks the job done when the task
finishes; the sweep (kernel.tasks.sweep_jobs) republishes a pending job nobody took (broker down, a
process killed before its relay ran, a lost message). Callers never import tasks: they name them.

A job may be published more than once (a republished copy, a redelivered message): a copy that finds the
job finished, running, or waiting for its retry is skipped; tasks stay idempotent all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from . import relay
from .models import Job

log = logging.getLogger(__name__)

TASK_ID_PREFIX = "parley-job-"
SWEEP_MARGIN = timedelta(seconds=30)  # pending this long past run_after: nobody has it, publish it again
LEASE = timedelta(minutes=10)  # a running try longer than this is presumed dead (worker killed)
EARLY = timedelta(seconds=1)  # a copy may start this much before run_after (clocks differ between machines)
MAX_ATTEMPTS = 25  # tries (Celery retries included) before a job is given up as failed
KEEP_FINISHED = timedelta(days=1)  # done and failed jobs are pruned after this
SWEEP_BATCH = 500


@dataclass(frozen=True, slots=True)
class Publication:
    """What the relay sends for one job: Celery's task id is derived from the job id."""

    job_id: int
    task: str
    args: tuple
    eta: datetime | None = None  # None: run now

    @property
    def task_id(self) -> str:
        return f"{TASK_ID_PREFIX}{self.job_id}"


def job_id_of(task_id: str | None) -> int | None:
    """The job a Celery task id stands for, or None for a task that was not enqueued through here."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    suffix = task_id[len(TASK_ID_PREFIX):]
    return int(suffix) if suffix.isdigit() else None


def enqueue(task: str, *args: object, countdown: float | None = None) -> int:
    """Run the Celery task at dotted path `task` with JSON-able `args` once the current transaction commits
    (not before `countdown` seconds from now). Returns the job id. Nothing runs if the transaction rolls back."""
    now = timezone.now()
    delayed = countdown is not None and countdown > 0
    run_after = now + timedelta(seconds=countdown) if delayed else now
    job = Job.objects.create(task=task, args=list(args), run_after=run_after)
    publication = Publication(job.pk, task, tuple(args), run_after if delayed else None)
    transaction.on_commit(lambda: relay.submit(publication), robust=True)
    return job.pk


# ---- the life of a job, as the task wrapper (kernel.worker) reports it -----------------------------------


def begin(job_id: int) -> bool:
    """A try of the job starts. False: skip it — the job is finished or unknown, or not due: another copy is
    running it (its lease) or waiting for its retry (a duplicate published meanwhile), or it is out of attempts.

    Taking the job moves run_after to the end of the lease, in one statement, so of two copies only one runs.
    """
    now = timezone.now()
    taken = (Job.objects.filter(pk=job_id, state=Job.State.PENDING, attempts__lt=MAX_ATTEMPTS,
                                run_after__lte=now + EARLY)
             .update(attempts=F("attempts") + 1, run_after=now + LEASE, updated_at=now))
    if taken:
        return True
    gave_up = (Job.objects.filter(pk=job_id, state=Job.State.PENDING, attempts__gte=MAX_ATTEMPTS)
               .update(state=Job.State.FAILED, last_error=f"Gave up after {MAX_ATTEMPTS} attempts.", updated_at=now))
    if gave_up:
        log.error("job %s gave up after %s attempts", job_id, MAX_ATTEMPTS)
    else:
        log.debug("job %s skipped: finished, unknown, or another copy has it", job_id)
    return False


def finish(job_id: int) -> None:
    Job.objects.filter(pk=job_id).update(state=Job.State.DONE, updated_at=timezone.now())


def retry_at(job_id: int, when: datetime, reason: str) -> None:
    """The task asked Celery to retry at `when`: the sweep leaves the job alone until then (plus its margin)."""
    (Job.objects.filter(pk=job_id, state=Job.State.PENDING)
     .update(run_after=when, last_error=reason[:2000], updated_at=timezone.now()))


def fail(job_id: int, reason: str) -> None:
    """The task gave up (out of its own retries): never republished."""
    (Job.objects.filter(pk=job_id)
     .update(state=Job.State.FAILED, last_error=reason[:2000], updated_at=timezone.now()))


def postpone(job_id: int, reason: str) -> None:
    """The try broke unexpectedly (a database hiccup, a retry the broker refused): the sweep tries again
    later, backing off, until MAX_ATTEMPTS."""
    job = Job.objects.filter(pk=job_id, state=Job.State.PENDING).only("attempts").first()
    if job is None:
        return
    now = timezone.now()
    if job.attempts >= MAX_ATTEMPTS:
        fail(job_id, reason)
        return
    backoff = timedelta(seconds=min(3600, 15 * 2 ** job.attempts))
    (Job.objects.filter(pk=job_id, state=Job.State.PENDING)
     .update(run_after=now + backoff, last_error=reason[:2000], updated_at=now))


# ---- the sweep ----------------------------------------------------------------------------------------------


def sweep(*, margin: timedelta = SWEEP_MARGIN, limit: int = SWEEP_BATCH) -> int:
    """Publish again the pending jobs nobody took (`margin` past their run_after); prune finished ones.

    Returns how many were published. A job is bumped before it is published, so the next sweep leaves it
    alone for another margin; if publishing fails it is simply still pending for that next sweep.
    """
    now = timezone.now()
    due = list(
        Job.objects.filter(state=Job.State.PENDING, run_after__lte=now - margin)
        .order_by("run_after").values_list("pk", "task", "args")[:limit]
    )
    if due:
        Job.objects.filter(pk__in=[pk for pk, _task, _args in due], state=Job.State.PENDING).update(
            run_after=now, updated_at=now)
    published = 0
    for pk, task, args in due:
        try:
            import_string(task)
        except ImportError as exc:
            fail(pk, f"No such task: {exc}")
            continue
        try:
            relay.publish(Publication(pk, task, tuple(args)))
        except Exception:  # the broker went away mid-sweep: the rest are still pending for the next one
            log.warning("sweep: publishing job %s failed; the next sweep tries again", pk, exc_info=True)
            break
        published += 1
    prune(now=now)
    return published


def prune(*, now: datetime | None = None, keep: timedelta = KEEP_FINISHED, limit: int = 5000) -> int:
    cutoff = (now or timezone.now()) - keep
    finished = Job.objects.exclude(state=Job.State.PENDING).filter(updated_at__lt=cutoff)
    ids = list(finished.values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    deleted, _by_model = Job.objects.filter(pk__in=ids).delete()
    return deleted
