"""Claims and fencing: one attempt at a time, renewed before each part, and a late attempt records nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Attachment, DeliveredPart, Message
from inbox.services import delivery
from tests import factories as f
from tests.connectors.helpers import outbound
from tests.fakes import telegram as tg
from tests.fakes.receiver import DeliveryReceiver
from tests.fakes.server import Recorded, Reply
from tests.inbox.test_attachments import PDF, png_bytes

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CHAT = str(tg.CHAT["id"])
WAIT = 15  # bounded waits: a broken test fails, it never hangs


@dataclass
class Gate:
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class GatedTelegram(tg.FakeTelegram):
    """The fake Bot API, with methods that answer slowly (`slow`) or whose next calls wait at a gate (`hold`)."""

    def __init__(self) -> None:
        super().__init__()
        self.slow: dict[str, float] = {}
        self.arrival_times: dict[str, list[float]] = {}
        self.gates: dict[str, list[Gate]] = {}

    def hold(self, method: str) -> Gate:
        """One more call of `method` signals the gate's `arrived`, then waits for its `release`."""
        gate = Gate()
        self.gates.setdefault(method, []).append(gate)
        return gate

    def handle(self, request: Recorded) -> Reply:
        method = request.path.rsplit("/", 1)[-1]
        self.arrival_times.setdefault(method, []).append(time.monotonic())
        waiting = self.gates.get(method)
        if waiting:
            gate = waiting.pop(0)
            gate.arrived.set()
            gate.release.wait(WAIT)
        elif method in self.slow:
            time.sleep(self.slow[method])
        return super().handle(request)


@pytest.fixture
def telegram(settings) -> Iterator[GatedTelegram]:
    server = GatedTelegram().start()
    settings.TELEGRAM_API_BASE_URL = server.url
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    try:
        yield server
    finally:
        for gate in [g for gates in server.gates.values() for g in gates]:
            gate.release.set()
        server.stop()


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, dict]:
    """Run one delivery attempt in its own thread (its own database connection), like a second worker."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def telegram_message(demo, *, body: str, files=()) -> Message:
    channel = f.make_channel(demo.workspace, "telegram", config={"bot_token": tg.BOT_TOKEN})
    return outbound(channel, contact_id=CHAT, kind="file" if files else "text", body=body, files=files)


def test_a_second_attempt_cannot_claim_a_message_whose_claim_is_live(demo, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    receiver = DeliveryReceiver(hold_first=True).start()
    try:
        channel = f.make_channel(demo.workspace, "api", webhook_url=f"{receiver.url}/hook")
        message = outbound(channel, contact_id="ext-1")
        first, outcome = in_thread(lambda: delivery.deliver(workspace=demo.workspace, message_id=message.pk))
        assert receiver.first_arrived.wait(WAIT)

        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None  # a second worker
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk, when_due=True) is None
        assert len(receiver.requests) == 1 and Message.objects.get(pk=message.pk).attempts == 1

        receiver.release.set()
        first.join(WAIT)
        assert outcome == {"value": None}
    finally:
        receiver.release.set()
        receiver.stop()
    message.refresh_from_db()
    assert message.status == "sent" and len(receiver.requests) == 1


def test_the_claim_is_renewed_before_each_part_so_a_long_send_keeps_it(demo, settings, telegram):
    settings.DELIVERY_CLAIM_SECONDS = 2
    # Three parts (the text is too long for a caption), each taking 0.8 s: longer in all than one claim.
    message = telegram_message(demo, body="a" * 1100, files=(("shoe.png", "image/png", png_bytes()),
                                                             ("list.pdf", "application/pdf", PDF)))
    telegram.slow = {"sendMessage": 0.8, "sendPhoto": 0.8}
    gate = telegram.hold("sendDocument")
    first, outcome = in_thread(lambda: delivery.deliver(workspace=demo.workspace, message_id=message.pk))
    assert gate.arrived.wait(WAIT)
    started = telegram.arrival_times["sendMessage"][0]  # the claim was taken before this
    time.sleep(max(0.0, started + settings.DELIVERY_CLAIM_SECONDS + 0.2 - time.monotonic()))

    # The first claim has run out; the renewed one holds: a second attempt gets nothing and sends nothing.
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    assert Message.objects.get(pk=message.pk).claimed_until > timezone.now()
    assert delivery.stale_queued() == []

    gate.release.set()
    first.join(WAIT)
    assert outcome == {"value": None}
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1
    sent = [r.path.rsplit("/", 1)[1] for r in telegram.requests]
    assert sent == ["sendMessage", "sendPhoto", "sendDocument"]  # each part once


def test_an_attempt_that_outlived_its_claim_records_nothing_and_sent_parts_are_not_resent(demo, settings,
                                                                                         telegram):
    settings.DELIVERY_CLAIM_SECONDS = 1
    message = telegram_message(demo, body="Two files", files=(("shoe.png", "image/png", png_bytes()),
                                                              ("list.pdf", "application/pdf", PDF)))
    late_gate, new_gate = telegram.hold("sendDocument"), telegram.hold("sendDocument")
    late, late_outcome = in_thread(lambda: delivery.deliver(workspace=demo.workspace, message_id=message.pk))
    assert late_gate.arrived.wait(WAIT)  # the photo went; the document's call hangs past the claim
    wait_until(lambda: Message.objects.get(pk=message.pk).claimed_until <= timezone.now())
    assert delivery.stale_queued() == [(demo.workspace.pk, message.pk)]

    # A new attempt takes over; its document call hangs too, while the late attempt's call returns.
    new, new_outcome = in_thread(lambda: delivery.deliver(workspace=demo.workspace, message_id=message.pk))
    assert new_gate.arrived.wait(WAIT)
    late_gate.release.set()
    late.join(WAIT)
    assert late_outcome == {"value": None}
    during = Message.objects.get(pk=message.pk)
    assert (during.status, during.attempts) == ("queued", 2)  # the late attempt wrote no result…
    photo = Attachment.objects.get(message=message, name="shoe.png")
    assert list(DeliveredPart.objects.filter(message=message).values_list("key", flat=True)) == [
        f"file:{photo.pk}"]  # …nor a part: only the photo, accepted while its claim was live

    new_gate.release.set()
    new.join(WAIT)
    assert new_outcome == {"value": None}
    message.refresh_from_db()
    assert (message.status, message.claim_token) == ("sent", None)
    assert DeliveredPart.objects.filter(message=message).count() == 2
    sent = [r.path.rsplit("/", 1)[1] for r in telegram.requests]
    assert sent.count("sendPhoto") == 1  # accepted once, never sent again
    # The hung call and the new attempt's: the repeat an at-least-once send cannot rule out.
    assert sent.count("sendDocument") == 2


def test_a_message_whose_claim_expired_is_claimed_again_with_a_new_token(demo, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    receiver = DeliveryReceiver().start()
    try:
        channel = f.make_channel(demo.workspace, "api", webhook_url=f"{receiver.url}/hook")
        message = outbound(channel, contact_id="ext-1")
        past = timezone.now() - timedelta(seconds=1)
        dead = "00000000-0000-4000-8000-000000000001"
        Message.objects.filter(pk=message.pk).update(claim_token=dead, claimed_until=past, next_attempt_at=past,
                                                     attempts=1)
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk, when_due=True) is None
    finally:
        receiver.stop()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claim_token) == ("sent", 2, None)
    assert receiver.processed == [str(message.pk)]
