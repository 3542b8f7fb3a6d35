"""Servers the browser tests run in-process: uvicorn serving the ASGI app, and a Celery worker."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn


class LiveServer:
    """uvicorn serving an ASGI app (HTTP and websockets) from a background thread on a free port.

    It shares the process with the test, so Django talks to the test database; tests must commit
    their data (transactional_db) for the server's threads to see it.
    """

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
        self.host = host
        self.config = uvicorn.Config(
            app=app, host=host, port=port, lifespan="off", log_level=log_level, log_config=None,
            access_log=False, timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(self.config)
        self.port: int | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self, sock: socket.socket) -> None:
        try:
            self.server.run(sockets=[sock])
        except BaseException as exc:  # reported by start(); a dead thread must not hang the test
            self._error = exc

    def start(self, timeout: float = 15.0) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.config.port))
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, args=(sock,), name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"uvicorn did not start: {self._error!r}") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start within {timeout} s")
            time.sleep(0.02)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self.server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(5)
        if self._thread.is_alive():
            raise RuntimeError("uvicorn did not stop")
        self._thread = None


@contextlib.contextmanager
def celery_worker_running(app, *, concurrency: int = 2, shutdown_timeout: float = 15.0) -> Iterator:
    """A real Celery worker (thread pool) consuming the app's broker, inside this process.

    The queues are purged first so tasks left by earlier runs do not execute against this test's
    database. The root logger is left alone (pytest captures logs).
    """
    from celery.contrib.testing.worker import start_worker

    if app.conf.task_always_eager:
        raise RuntimeError("Celery runs tasks eagerly (embedded mode): a worker would receive nothing.")
    app.conf.worker_hijack_root_logger = False
    app.control.purge()
    with start_worker(
        app, pool="threads", concurrency=concurrency, perform_ping_check=False,
        shutdown_timeout=shutdown_timeout, loglevel="WARNING",
    ) as worker:
        yield worker
