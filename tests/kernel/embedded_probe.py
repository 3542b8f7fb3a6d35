"""Run by tests/kernel/test_embedded.py in a fresh interpreter in the embedded mode (SQLite, in-memory broker):

    python -m tests.kernel.embedded_probe

starts the embedded runtime as the server would, enqueues probe jobs and prints one JSON line: when each
job was committed, when it ran, and how its row ended. Not a test module itself (no test_ prefix).
"""

from __future__ import annotations

import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from kernel import embedded, jobs  # noqa: E402
from kernel.models import Job  # noqa: E402
from tests.kernel import probe  # noqa: E402

PROBE = "tests.kernel.probe.record"


def wait_done(*job_ids: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=job_ids, state="pending").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def main() -> None:
    call_command("migrate", verbosity=0)
    # Left by an earlier run (its in-memory broker died with it) or by a management command.
    left = Job.objects.create(task=PROBE, args=["left-behind"], run_after=timezone.now())
    runtime = embedded.start()
    with transaction.atomic():
        delayed = jobs.enqueue(PROBE, "countdown", countdown=2)
    committed = time.time()
    retried = jobs.enqueue(PROBE, "retry", 1.5)
    wait_done(left.pk, delayed, retried)
    runtime.stop()
    print(json.dumps({
        "mode": settings.PARLEY_MODE, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "broker": settings.CELERY_BROKER_URL, "committed": committed,
        "runs": {label: probe.runs(label) for label in ("left-behind", "countdown", "retry")},
        "states": {str(pk): Job.objects.get(pk=pk).state for pk in (left.pk, delayed, retried)},
    }))


if __name__ == "__main__":
    main()
