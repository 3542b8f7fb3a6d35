"""Jobs: written in the caller's transaction, published after commit by the relay (never by the request),
run by a real worker, marked done, republished by the sweep; a broker that is down loses and fails nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from config.celery import app
from inbox.models import Attachment, Message
from kernel import jobs, relay
from kernel.models import Job
from kernel.tasks import sweep_jobs
from tests import factories as f
from tests.e2e.servers import celery_worker_running
from tests.fakes import telegram as tg
from tests.inbox.helpers import webhook_receiver

from . import probe
from .brokers import ThrowawayRedis, celery_broker

PROBE = "tests.kernel.probe.record"
SECRET = "Secret_token-for-tests_0123456789"


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def job_state(job_id: int) -> str:
    return Job.objects.get(pk=job_id).state


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    """A real Celery worker (threads) on this run's Redis broker."""
    with celery_worker_running(app):
        yield


@pytest.fixture
def broker(tmp_path, transactional_db) -> Iterator[ThrowawayRedis]:
    """A private redis-server the test can kill and restart; Celery publishes to it for the test."""
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        with celery_broker(app, server.url):
            yield server
            relay.wait_idle(10)  # nothing of this test is published into the next test's broker
    finally:
        server.stop()


def worker_on(server: ThrowawayRedis):
    """A worker on the throwaway broker; its queue is private, so nothing to purge (that would drop the relay's)."""
    app.conf.worker_hijack_root_logger = False
    return start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=15,
                        loglevel="WARNING")


# ---- the outbox ---------------------------------------------------------------------------------------------

def test_enqueue_in_a_transaction_writes_a_pending_job_in_it(db):
    with transaction.atomic():
        job_id = jobs.enqueue(PROBE, "written", countdown=5)
        job = Job.objects.get(pk=job_id)
    assert (job.task, job.args, job.state, job.attempts) == (PROBE, ["written"], "pending", 0)
    assert timedelta(seconds=4) < job.run_after - job.created_at <= timedelta(seconds=5)


def test_a_rolled_back_transaction_leaves_no_job_and_publishes_nothing(transactional_db):
    published = relay.published()
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(PROBE, "rolled-back")
        raise RuntimeError("the write failed")
    assert relay.wait_idle(5)
    assert not Job.objects.exists()
    assert relay.published() == published


def test_the_relay_publishes_after_commit_and_the_worker_marks_the_job_done(worker):
    with transaction.atomic():
        job_id = jobs.enqueue(PROBE, "after-commit")
        time.sleep(0.3)
        assert probe.runs("after-commit") == []  # nothing is sent while the transaction is open
    wait_for(lambda: job_state(job_id) == "done", what="the job to be done")
    job = Job.objects.get(pk=job_id)
    assert len(probe.runs("after-commit")) == 1 and job.attempts == 1


def test_a_countdown_is_honoured_by_the_worker(worker):
    with transaction.atomic():
        job_id = jobs.enqueue(PROBE, "countdown", countdown=2)
    committed = time.time()
    wait_for(lambda: job_state(job_id) == "done", what="the delayed job")
    assert probe.runs("countdown")[0]["at"] - committed >= 1.95


def test_a_retrying_task_keeps_its_job_pending_until_the_retry_is_done(worker):
    job_id = jobs.enqueue(PROBE, "retry", 1.5)
    wait_for(lambda: len(probe.runs("retry")) == 1, what="the first try")
    time.sleep(0.2)
    job = Job.objects.get(pk=job_id)
    assert job.state == "pending" and "Retry" in job.last_error
    assert job.run_after > timezone.now()  # the sweep leaves it to the retry
    wait_for(lambda: job_state(job_id) == "done", what="the retry")
    first, second = probe.runs("retry")
    assert second["at"] - first["at"] >= 1.45 and second["retries"] == 1
    assert Job.objects.get(pk=job_id).attempts == 2


def test_a_copy_of_a_finished_job_is_skipped(worker):
    job_id = jobs.enqueue(PROBE, "twice")
    wait_for(lambda: job_state(job_id) == "done", what="the first copy")
    relay.publish(jobs.Publication(job_id, PROBE, ("twice",)))  # e.g. republished while it was merely slow
    time.sleep(1.5)
    assert len(probe.runs("twice")) == 1


def test_a_copy_published_while_the_job_waits_for_its_retry_is_skipped(worker):
    job_id = jobs.enqueue(PROBE, "copy-during-retry", 3)
    wait_for(lambda: len(probe.runs("copy-during-retry")) == 1, what="the first try")
    relay.publish(jobs.Publication(job_id, PROBE, ("copy-during-retry", 3)))
    wait_for(lambda: job_state(job_id) == "done", what="the retry")
    time.sleep(1)
    assert [run["retries"] for run in probe.runs("copy-during-retry")] == [0, 1]


def test_the_sweep_republishes_pending_jobs_nobody_took_and_prunes_finished_ones(worker):
    now = timezone.now()
    lost = Job.objects.create(task=PROBE, args=["lost"], run_after=now - timedelta(minutes=2))
    fresh = Job.objects.create(task=PROBE, args=["fresh"], run_after=now)  # its relay may still be on it
    old_done = Job.objects.create(task=PROBE, args=["old"], run_after=now, state="done")
    Job.objects.filter(pk=old_done.pk).update(updated_at=now - jobs.KEEP_FINISHED - timedelta(minutes=1))
    recent_done = Job.objects.create(task=PROBE, args=["recent"], run_after=now, state="done")
    missing = Job.objects.create(task="tests.kernel.probe.no_such_task", args=[], run_after=now - timedelta(hours=1))

    assert sweep_jobs() == 1
    wait_for(lambda: job_state(lost.pk) == "done", what="the lost job")
    assert len(probe.runs("lost")) == 1 and probe.runs("fresh") == []
    assert job_state(fresh.pk) == "pending"
    assert set(Job.objects.values_list("pk", flat=True)) == {lost.pk, fresh.pk, recent_done.pk, missing.pk}
    assert job_state(missing.pk) == "failed"
    assert sweep_jobs() == 0  # the republished job is not sent again at once


def test_the_sweep_is_scheduled():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-jobs"]
    assert schedule["task"] == "kernel.tasks.sweep_jobs" and schedule["schedule"] <= 30
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_a_job_out_of_attempts_fails_instead_of_running(worker):
    job = Job.objects.create(task=PROBE, args=["exhausted"], run_after=timezone.now(), attempts=jobs.MAX_ATTEMPTS)
    relay.publish(jobs.Publication(job.pk, PROBE, ("exhausted",)))
    wait_for(lambda: job_state(job.pk) == "failed", what="the job to be given up")
    assert probe.runs("exhausted") == [] and "Gave up" in Job.objects.get(pk=job.pk).last_error


# ---- broker down -----------------------------------------------------------------------------------------------

def test_broker_down_the_request_never_waits_and_the_job_waits_in_the_relay(broker):
    broker.stop()
    started = time.monotonic()
    with transaction.atomic():
        job_id = jobs.enqueue(PROBE, "down")
    assert time.monotonic() - started < 0.5  # the caller never talks to the broker
    assert relay.wait_idle(10)
    assert relay.backlog() >= 1 and job_state(job_id) == "pending"

    broker.start()
    with worker_on(broker):
        wait_for(lambda: job_state(job_id) == "done", timeout=30, what="the job once the broker is back")
    assert len(probe.runs("down")) == 1


def test_broker_down_a_reply_answers_2xx_and_is_delivered_once_when_it_is_back(broker, demo, client_for):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        broker.stop()

        started = time.monotonic()
        response = client_for(demo.agent).post(f"/w/{demo.slug}/messages/{conversation.pk}/reply/",
                                               {"body": "Sent while the broker is down"},
                                               HTTP_X_REQUESTED_WITH="fetch")
        assert response.status_code == 200
        assert time.monotonic() - started < 2
        message = Message.objects.get(conversation=conversation, direction="out")
        assert message.status == "queued"
        job = Job.objects.get(task="inbox.tasks.deliver_message")
        assert job.args == [demo.workspace.pk, message.pk] and job.state == "pending"
        assert relay.wait_idle(10) and relay.backlog() >= 1
        assert receiver.requests == []

        broker.start()
        with worker_on(broker):
            wait_for(lambda: Message.objects.get(pk=message.pk).status == "sent", timeout=30,
                     what="the reply to be sent once the broker is back")
            wait_for(lambda: job_state(job.pk) == "done", what="the delivery job to be done")
            time.sleep(1)
        assert len(receiver.requests) == 1
        assert receiver.json()["message"]["text"] == "Sent while the broker is down"


def test_broker_down_an_inbound_attachment_is_stored_at_once_and_downloaded_when_it_is_back(
        broker, demo, client, fake_telegram):
    channel = f.make_channel(demo.workspace, "telegram", secret=SECRET, config={"bot_token": tg.BOT_TOKEN})
    fake_telegram.add_file("AwACAgIAAxkBAAIBZ2VvoiceFileId", "voice/file_7.oga", b"OggS-voice-bytes")
    broker.stop()

    response = client.post(f"/hooks/telegram/{channel.uuid}/", data=tg.voice_update(),
                           content_type="application/json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200
    message = Message.objects.get(channel=channel, direction="in")
    job = Job.objects.get(task="inbox.tasks.download_attachments")
    assert job.args == [demo.workspace.pk, message.pk]
    assert relay.wait_idle(10) and relay.backlog() >= 1
    assert fake_telegram.method_calls("getFile") == []

    broker.start()
    with worker_on(broker):
        wait_for(lambda: job_state(job.pk) == "done", timeout=30, what="the download once the broker is back")
    attachment = Attachment.objects.get(message=message)
    assert attachment.file.read() == b"OggS-voice-bytes"
    assert len(fake_telegram.method_calls("getFile")) == 1


def test_jobs_a_dead_process_left_behind_are_sent_by_the_sweep_when_the_broker_is_back(broker):
    broker.stop()
    job = Job.objects.create(task=PROBE, args=["left-behind"], run_after=timezone.now() - timedelta(minutes=5))
    broker.start()
    with worker_on(broker):
        assert sweep_jobs() == 1
        wait_for(lambda: job_state(job.pk) == "done", what="the swept job")
    assert len(probe.runs("left-behind")) == 1
