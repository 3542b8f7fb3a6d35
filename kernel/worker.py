"""What runs around every Celery task: the job bookkeeping (config/celery.py makes this the base class).

A task published for a job (kernel.jobs: its Celery task id names the job) marks the job begun, then done,
retrying at a time, or failed. A copy of a job that is finished, running elsewhere or waiting for its retry
is skipped, so a job republished by the sweep while its first copy was merely slow runs once. Tasks called
directly, or sent without a job (the beat's periodic sweeps), run untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery.contrib.django.task import DjangoTask
from celery.exceptions import Ignore, MaxRetriesExceededError, Retry
from django.utils import timezone


class JobTask(DjangoTask):
    def _job_id(self) -> int | None:
        # The app registry is ready by the time a task runs, not when Celery's app makes this base class.
        from . import jobs  # noqa: PLC0415

        return None if self.request.called_directly else jobs.job_id_of(self.request.id)

    def __call__(self, *args, **kwargs):
        from . import jobs  # noqa: PLC0415 - see _job_id

        job_id = self._job_id()
        if job_id is None:
            return super().__call__(*args, **kwargs)
        if not jobs.begin(job_id):
            return None
        try:
            result = super().__call__(*args, **kwargs)
        except Retry:
            raise  # retry() below has already moved the job to the retry's time
        except Ignore:
            jobs.finish(job_id)
            raise
        except MaxRetriesExceededError as exc:
            jobs.fail(job_id, reason=repr(exc))
            raise
        except Exception as exc:  # includes Reject: a retry the broker refused to take
            jobs.postpone(job_id, reason=repr(exc))
            raise
        jobs.finish(job_id)
        return result

    def retry(self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, max_retries=None,
              **options):
        """Celery's retry; first the job's run_after moves to the retry's time, before the retry is published,
        so the retry (however soon it comes) finds its job due, and the sweep leaves the job to it until then."""
        from . import jobs  # noqa: PLC0415 - see _job_id

        job_id = self._job_id()
        if job_id is not None:
            delay = countdown if countdown is not None or eta is not None else self.default_retry_delay
            jobs.retry_at(job_id, _when(eta or delay), reason=f"Retry: {exc!r}" if exc else "Retry requested")
        return super().retry(args=args, kwargs=kwargs, exc=exc, throw=throw, eta=eta, countdown=countdown,
                             max_retries=max_retries, **options)


def _when(when: datetime | float | int | None) -> datetime:
    if isinstance(when, datetime):
        return when if timezone.is_aware(when) else timezone.make_aware(when, UTC)
    return timezone.now() + timedelta(seconds=float(when or 0))
