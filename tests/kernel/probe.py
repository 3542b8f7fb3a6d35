"""A task for the runtime tests: records when it ran (in this process, and in a file another process can read)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from celery import shared_task

RUNS: list[dict] = []
_lock = threading.Lock()


@shared_task(bind=True, acks_late=True, max_retries=3)
def record(self, label: str, retry_in: float | None = None, log_file: str | None = None) -> None:
    """Note this run (label, wall time, retry number); with `retry_in`, the first run asks to be retried then."""
    run = {"label": label, "at": time.time(), "retries": self.request.retries}
    with _lock:
        RUNS.append(run)
        if log_file:
            with Path(log_file).open("a") as out:
                out.write(json.dumps(run) + "\n")
    if retry_in is not None and self.request.retries == 0:
        raise self.retry(countdown=retry_in)


def runs(label: str) -> list[dict]:
    with _lock:
        return [run for run in RUNS if run["label"] == label]
