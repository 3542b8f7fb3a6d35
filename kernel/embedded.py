"""The embedded mode's task runtime: a Celery worker (a thread pool) and beat inside the server process.

Tasks run exactly as in the services mode — published by the relay, countdowns and `Retry-After` honoured
by the worker's timer, periodic sweeps run by beat — only the broker is kombu's in-memory transport, which
lives and dies with this process. Nothing is lost with it: every job is a row in the job table and the
sweep republishes what is pending, first thing at start-up (jobs a previous run or a management command
left behind).

Started by the ASGI lifespan (`lifespan` below, `uvicorn --lifespan on`, as `make run` does), so it runs
in the server only: never in management commands, never in tests unless a test starts it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from dataclasses import dataclass

from celery import Celery, current_app
from celery.beat import EmbeddedService
from celery.worker import WorkController
from django.conf import settings

log = logging.getLogger(__name__)

WORKER_THREADS = 4  # deliveries and downloads wait on the network; SQLite serializes the writes anyway
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

_server_loop: asyncio.AbstractEventLoop | None = None


class _Worker(WorkController):
    """A WorkController that says when its consumer is up (it runs in a thread, so nothing else would)."""

    def __init__(self, *args, **kwargs) -> None:
        self.consuming = threading.Event()
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer) -> None:
        self.consuming.set()


@dataclass
class Runtime:
    worker: _Worker
    worker_thread: threading.Thread
    beat: threading.Thread | None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop beat, then the worker (tasks in progress finish first, up to `timeout`)."""
        if self.beat is not None:
            self.beat.stop()
        self.worker.stop(in_sighandler=False)
        self.worker_thread.join(timeout)
        if self.worker_thread.is_alive():
            log.warning("the embedded Celery worker did not stop within %s s", timeout)


def start(app: Celery | None = None, *, concurrency: int = WORKER_THREADS, beat: bool = True) -> Runtime:
    """Start the worker and (unless beat=False) beat in this process; returns once the worker consumes."""
    app = app or current_app._get_current_object()
    if app.conf.task_always_eager:
        raise RuntimeError("Celery runs tasks eagerly: an embedded worker would receive nothing.")
    app.finalize()
    worker = _Worker(
        app=app, concurrency=concurrency, pool="threads",
        hostname=f"embedded-{os.getpid()}@{socket.gethostname()}", ready_callback=None,
        without_heartbeat=True, without_mingle=True, without_gossip=True,
    )
    thread = threading.Thread(target=worker.start, name="parley-celery-worker", daemon=True)
    thread.start()
    if not worker.consuming.wait(START_TIMEOUT):
        raise RuntimeError(f"the embedded Celery worker did not start within {START_TIMEOUT:.0f} s")
    beat_thread = None
    if beat:
        # The plain Scheduler keeps its state in memory: nothing to write in the data folder, and at start-up
        # the startup sweep below stands in for the runs a persistent schedule would remember.
        beat_thread = EmbeddedService(app, thread=True, scheduler_cls="celery.beat:Scheduler")
        beat_thread.start()
    app.send_task("kernel.tasks.sweep_jobs", kwargs={"margin_seconds": 0})
    log.info("embedded task runtime started: %s worker threads%s", concurrency, " and beat" if beat else "")
    return Runtime(worker, thread, beat_thread)


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop serving this process's websockets, once the lifespan has started (embedded mode only).

    The in-memory channel layer lives on that loop: code in other threads (the worker's) must reach it there.
    """
    return _server_loop


async def lifespan(scope, receive, send) -> None:
    """ASGI lifespan: in the embedded mode, the task runtime starts and stops with the server."""
    global _server_loop
    runtime: Runtime | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.PARLEY_MODE == "embedded":
                _server_loop = asyncio.get_running_loop()
                try:
                    runtime = await asyncio.to_thread(start)
                except Exception as exc:
                    log.exception("the embedded task runtime did not start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if runtime is not None:
                await asyncio.to_thread(runtime.stop)
            _server_loop = None
            await send({"type": "lifespan.shutdown.complete"})
            return
