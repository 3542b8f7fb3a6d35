"""The relay: one background thread per process publishes committed jobs to Celery.

A request (or a task, or a management command) only hands the relay what it committed; it never talks to
the broker, so a slow or dead broker never blocks it nor turns its answer into a 500. When publishing
fails the relay keeps the jobs in memory and tries again with backoff (1 s … 30 s); whatever it still holds
when the process dies is in the job table, and the sweep (kernel.jobs.sweep) publishes it again.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

if TYPE_CHECKING:
    from .jobs import Publication

log = logging.getLogger(__name__)

MAX_BACKLOG = 10_000  # beyond this the oldest are dropped from memory (they stay pending for the sweep)
MAX_BACKOFF = 30.0
# What a broker that is down or unreachable raises (kombu wraps the transport's errors in OperationalError).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, OSError)
try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # pragma: no cover - redis is installed with the services mode
    pass
else:
    BROKER_ERRORS += (RedisConnectionError, RedisTimeoutError)


def publish(publication: Publication) -> None:
    """Send one job to Celery now, failing fast (no publish retries: the caller keeps the job)."""
    task = import_string(publication.task)
    task.apply_async(args=publication.args, task_id=publication.task_id, eta=publication.eta, retry=False)


class Relay:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # A forked child (a prefork Celery worker) starts empty: the parent's thread sends the parent's jobs.
        self._cond = threading.Condition()
        self._waiting: deque[Publication] = deque()
        self._busy = False
        self._failures = 0
        self._resume_at = 0.0  # time.monotonic() before which the broker is presumed still down
        self._thread: threading.Thread | None = None
        self.published = 0

    def submit(self, *publications: Publication) -> None:
        """Hand over committed jobs; returns at once."""
        with self._cond:
            self._waiting.extend(publications)
            while len(self._waiting) > MAX_BACKLOG:
                dropped = self._waiting.popleft()
                log.warning("relay backlog full: job %s is left to the sweep", dropped.job_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="parley-relay", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def backlog(self) -> int:
        """Jobs waiting to be published (e.g. while the broker is down)."""
        with self._cond:
            return len(self._waiting) + (1 if self._busy else 0)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the relay has nothing left to try now: all published, or the rest waiting for the broker
        to come back. False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy or (self._waiting and time.monotonic() >= self._resume_at):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting or time.monotonic() < self._resume_at:
                    pause = self._resume_at - time.monotonic()
                    self._cond.wait(pause if self._waiting and pause > 0 else None)
                batch = list(self._waiting)
                self._waiting.clear()
                self._busy = True
            unsent = self._publish(batch)
            with self._cond:
                if unsent:
                    self._waiting.extendleft(reversed(unsent))
                    self._failures = min(self._failures + 1, 10)
                    self._resume_at = time.monotonic() + min(MAX_BACKOFF, 0.5 * 2 ** self._failures)
                else:
                    if self._failures:
                        log.warning("broker back: the relay's waiting jobs are published")
                    self._failures = 0
                    self._resume_at = 0.0
                self._busy = False
                self._cond.notify_all()

    def _publish(self, batch: list[Publication]) -> list[Publication]:
        """Publish in order; on a broker error return the ones not sent (that one first)."""
        for index, publication in enumerate(batch):
            try:
                publish(publication)
            except BROKER_ERRORS as exc:
                if self._failures == 0:
                    log.warning("broker unavailable (%s): %s job(s) wait in the relay", exc, len(batch) - index)
                return batch[index:]
            except Exception:  # e.g. a task path that no longer imports: the sweep fails the job for good
                log.exception("relay could not publish job %s (%s)", publication.job_id, publication.task)
                continue
            self.published += 1
        return []


_relay = Relay()
submit = _relay.submit
backlog = _relay.backlog
wait_idle = _relay.wait_idle


def published() -> int:
    """How many jobs this process's relay has published (for tests and the curious)."""
    return _relay.published


@atexit.register
def _flush_at_exit() -> None:
    # A management command that just committed a reply exits right after: give its relay a moment.
    _relay.wait_idle(5.0)
