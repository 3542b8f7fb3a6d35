"""A worker SIGKILLed mid-send: the message goes out once as the receiver sees it, after a new worker starts.

Real processes: two Celery workers (solo pool, the Redis broker of this test run) against the test database,
and the API channel's receiver on 127.0.0.1. The receiver hangs on the first request, the test kills that
worker's whole process group, and a new worker picks the message up as soon as the dead claim expires.
Delivery is at least once; the receiver drops the repeat by X-Parley-Delivery (the message id on every try).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from inbox.models import Message
from inbox.services.replying import send_reply
from tests import factories as f
from tests.fakes.receiver import DeliveryReceiver

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
CLAIM_SECONDS = 3  # the workers' DELIVERY_CLAIM_SECONDS: a dead worker's claim expires quickly
WAIT = 40  # each bounded wait; the whole test takes about 15 s


def _test_database_url() -> str:
    db = connection.settings_dict  # the test database this run created (test_…)
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{quote(db['NAME'])}"


@contextmanager
def worker_process(name: str) -> Iterator[subprocess.Popen]:
    """A Celery worker in its own process group (solo pool: no forked children left behind)."""
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "REDIS_URL": settings.REDIS_URL,
           "DELIVERY_CLAIM_SECONDS": str(CLAIM_SECONDS), "ALLOW_PRIVATE_WEBHOOKS": "1", "DEBUG": "1"}
    log = tempfile.NamedTemporaryFile(prefix=f"parley-{name}-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname={name}@%h"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_worker_killed_mid_send_delivers_the_message_once_after_a_new_worker_starts(demo):
    from config.celery import app

    app.control.purge()  # tasks other tests left in this run's queue must not run here
    receiver = DeliveryReceiver(hold_first=True).start()
    try:
        channel = f.make_channel(demo.workspace, "api", webhook_url=f"{receiver.url}/hook")
        conversation = f.make_conversation(demo.workspace, channel=channel)
        with worker_process("first") as first:
            message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                                 body="Your order ships today")
            assert receiver.first_arrived.wait(WAIT), "the first worker never called the receiver"
            os.killpg(first.pid, signal.SIGKILL)  # mid-send: the receiver has the request, no answer yet
            first.wait(10)
        held = Message.objects.get(pk=message.pk)
        assert held.status == "queued" and held.claim_token is not None  # the dead worker's claim

        with worker_process("second"):
            wait_for(lambda: Message.objects.get(pk=message.pk).status == "sent", "the message to be sent")
    finally:
        receiver.release.set()
        receiver.stop()

    message.refresh_from_db()
    assert message.status == "sent" and message.claim_token is None
    assert len(receiver.requests) >= 1
    assert set(receiver.delivery_ids) == {str(message.pk)}  # the same delivery id on every attempt…
    assert receiver.processed == [str(message.pk)]  # …so the receiver, dropping repeats, sees it once
