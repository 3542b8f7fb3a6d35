from django.conf import settings

from config.celery import app
from inbox import tasks


def test_tasks_acknowledge_late_so_a_lost_worker_loses_no_message():
    for task in (tasks.deliver_message, tasks.requeue_stale_messages, tasks.download_attachments):
        assert task.acks_late is True


def test_the_stale_message_sweep_is_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE["requeue-stale-queued-messages"]
    assert schedule["task"] == "inbox.tasks.requeue_stale_messages"
    assert schedule["schedule"] <= 60
    assert "inbox.tasks.requeue_stale_messages" in app.tasks
