import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.base import SendError
from connectors.http import check_public_url
from inbox.errors import InboxError
from inbox.models import Attachment, Message
from inbox.services import delivery
from inbox.services.replying import send_reply
from tests import factories as f
from tests.inbox.helpers import webhook_receiver


@pytest.fixture
def no_tasks(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)


def _reply(demo, url, text="Hola Ana 👍"):
    channel = f.make_channel(demo.workspace, "api", webhook_url=url)
    conversation = f.make_conversation(demo.workspace, channel=channel)
    return send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body=text)


def test_reply_is_posted_as_signed_json(demo, no_tasks):
    with webhook_receiver() as receiver:
        message = _reply(demo, receiver.url)
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent"
    request = receiver.requests[0]
    expected = "sha256=" + hmac.new(message.channel.secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Parley-Signature"] == expected
    payload = receiver.json()
    assert payload["event"] == "message.created"
    assert payload["conversation"]["id"] == message.conversation_id
    assert payload["contact"]["id"].startswith("ext-")
    assert {k: payload["message"][k] for k in ("id", "text", "kind", "sender", "attachments")} == {
        "id": message.pk, "text": "Hola Ana 👍", "kind": "text", "sender": "member", "attachments": []}
    assert request["headers"]["X-Parley-Delivery"] == str(message.pk)


def test_attachments_go_out_with_signed_absolute_urls(demo, no_tasks, client):
    with webhook_receiver() as receiver:
        message = _reply(demo, receiver.url)
        from django.core.files.base import ContentFile

        attachment = Attachment(workspace=demo.workspace, message=message, name="factura.pdf",
                                content_type="application/pdf", size=4)
        attachment.file.save("x", ContentFile(b"%PDF"), save=True)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    item = receiver.json()["message"]["attachments"][0]
    assert item["name"] == "factura.pdf" and item["size"] == 4 and item["content_type"] == "application/pdf"
    assert item["url"].startswith("http")
    path = item["url"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)  # no session: the signature is the permission
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"


def test_server_error_then_success_is_retried(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(500, {}), (200, {})]
        message = _reply(demo, receiver.url)
        delay = delivery.deliver(workspace=demo.workspace, message_id=message.pk)
        assert delay is not None and delay > 0
        message.refresh_from_db()
        assert message.status == "queued" and message.attempts == 1
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent" and len(receiver.requests) == 2
    # The same delivery id on every attempt: the receiver drops a repeat.
    assert {r["headers"]["X-Parley-Delivery"] for r in receiver.requests} == {str(message.pk)}


def test_429_retry_after_is_honoured(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(429, {"Retry-After": "17"})]
        message = _reply(demo, receiver.url)
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) == 17


def test_client_error_fails_with_the_reason(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(404, {})]
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "404" in message.failure_reason


def test_the_receivers_json_error_is_the_reason(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(422, {})]
        receiver.body = b'{"error": {"message": "unknown conversation 42"}}'
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed"
    assert "422" in message.failure_reason and "unknown conversation 42" in message.failure_reason


def test_sixth_attempt_marks_failed_with_the_reason(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(503, {})]
        message = _reply(demo, receiver.url)
        Message.objects.filter(pk=message.pk).update(attempts=delivery.MAX_ATTEMPTS - 1)
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "failed" and "503" in message.failure_reason
    assert message.attempts == delivery.MAX_ATTEMPTS and message.claim_token is None


def test_unreachable_receiver_is_transient(demo, no_tasks):
    message = _reply(demo, "http://127.0.0.1:9/hook")
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is not None
    message.refresh_from_db()
    assert message.status == "queued"


def test_delivery_is_idempotent(demo, no_tasks):
    with webhook_receiver() as receiver:
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    assert len(receiver.requests) == 1


def test_failed_message_can_be_retried(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(400, {})]
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
        delivery.retry_failed(workspace=demo.workspace, message_id=message.pk)
        message.refresh_from_db()
        assert message.status == "queued" and message.failure_reason == ""
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "sent"


def test_only_failed_messages_can_be_retried(demo, no_tasks):
    message = _reply(demo, "http://127.0.0.1:9/hook")
    with pytest.raises(InboxError):
        delivery.retry_failed(workspace=demo.workspace, message_id=message.pk)


def test_a_transient_failure_sets_the_next_attempt_and_releases_the_claim(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(429, {"Retry-After": "600"})]
        message = _reply(demo, receiver.url)
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) == 600
    message.refresh_from_db()
    assert message.status == "queued" and message.claim_token is None and message.claimed_until is None
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 590 < wait <= 600


def test_the_task_waits_for_next_attempt_at_instead_of_sending_early(demo, no_tasks, monkeypatch):
    from celery.exceptions import Retry

    from inbox import tasks

    with webhook_receiver() as receiver:
        receiver.script = [(429, {"Retry-After": "600"})]
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
        countdowns = []

        def retry(*, countdown):
            countdowns.append(countdown)
            return Retry()

        monkeypatch.setattr(tasks.deliver_message, "retry", retry)
        with pytest.raises(Retry):
            tasks.deliver_message(demo.workspace.pk, message.pk)  # a copy that arrives early
    assert len(receiver.requests) == 1  # nothing was sent before its time
    assert 590 < countdowns[0] <= 600  # rescheduled for next_attempt_at
    message.refresh_from_db()
    assert message.attempts == 1 and message.status == "queued"


def test_sweep_finds_messages_queued_for_over_a_minute(demo, no_tasks):
    old = _reply(demo, "http://127.0.0.1:9/hook")
    fresh = _reply(demo, "http://127.0.0.1:9/hook", text="new")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert delivery.stale_queued() == [(demo.workspace.pk, old.pk)]
    assert fresh.pk not in [m for _w, m in delivery.stale_queued()]


def test_sweep_leaves_a_message_alone_until_its_retry_after_has_passed(demo, no_tasks):
    with webhook_receiver() as receiver:
        receiver.script = [(429, {"Retry-After": "600"})]
        message = _reply(demo, receiver.url)
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert message.pk not in [m for _w, m in delivery.stale_queued()]  # told to wait ten minutes: it waits
    due = timezone.now() - delivery.STALE_AFTER - timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=due)  # ten minutes later, its retry was lost
    assert delivery.stale_queued() == [(demo.workspace.pk, message.pk)]


def test_sweep_skips_a_live_claim_and_takes_an_expired_one_at_once(demo, no_tasks):
    message = _reply(demo, "http://127.0.0.1:9/hook")  # queued seconds ago: its first task has time
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(claim_token=uuid.uuid4(), claimed_until=now + timedelta(seconds=30),
                                                 next_attempt_at=now + timedelta(seconds=30))
    assert delivery.stale_queued() == []  # being sent
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None  # nobody else may take it
    assert Message.objects.get(pk=message.pk).attempts == 0
    Message.objects.filter(pk=message.pk).update(claimed_until=now - timedelta(seconds=1),
                                                 next_attempt_at=now - timedelta(seconds=1))
    assert delivery.stale_queued() == [(demo.workspace.pk, message.pk)]  # its worker died: due now


def test_an_attempt_cut_short_counts(demo, no_tasks):
    message = _reply(demo, "http://127.0.0.1:9/hook")
    past = timezone.now() - timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(attempts=delivery.MAX_ATTEMPTS, claim_token=uuid.uuid4(),
                                                 claimed_until=past, next_attempt_at=past)
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "failed" and "interrupted" in message.failure_reason


def test_sweep_task_requeues_stale_messages(demo, no_tasks, monkeypatch):
    from inbox import tasks

    old = _reply(demo, "http://127.0.0.1:9/hook")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    queued = []
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: queued.append(a))
    assert tasks.requeue_stale_messages() == 1
    assert queued == [(demo.workspace.pk, old.pk)]


def test_private_webhook_addresses_are_refused_in_production(settings):
    settings.DEBUG = False
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    for url in ("http://127.0.0.1/hook", "http://10.0.0.5/x", "http://169.254.169.254/latest", "http://[::1]/"):
        with pytest.raises(SendError):
            check_public_url(url)
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    check_public_url("http://127.0.0.1/hook")


def test_backoff_grows_and_has_jitter():
    values = [delivery.backoff_seconds(n) for n in range(1, 6)]
    assert values[0] < values[-1] <= 300
    assert delivery.backoff_seconds(3, retry_after=42) == 42
