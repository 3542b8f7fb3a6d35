"""The outbound contract: connectors send a neutral OutboundMessage, touch no database, and sort errors in one place.

None of these tests has database access (pytest-django refuses any query): a connector that reached for the
ORM would fail here.
"""

from __future__ import annotations

import json
import time

import pytest

from connectors import http, registry
from connectors.base import OutboundChannel, OutboundMessage, OutboundPart, SendError, SentPart, TransientSendError
from tests.fakes import graph as g
from tests.fakes import telegram as tg
from tests.fakes.receiver import DeliveryReceiver
from tests.fakes.server import FakeServer, Reply

CHAT = str(tg.CHAT["id"])


def message(kind: str, *, recipient: str, parts: tuple[OutboundPart, ...], config=None, webhook_url: str = "",
            already_sent: frozenset[str] = frozenset()) -> OutboundMessage:
    return OutboundMessage(
        id=981, channel=OutboundChannel(id=7, kind=kind, config=config or {}, webhook_url=webhook_url, secret="s3"),
        recipient_id=recipient, contact_id=5, conversation_id=42, kind="file", parts=parts, sender="member",
        already_sent=already_sent)


@pytest.fixture
def files(tmp_path):
    photo, pdf = tmp_path / "shoe.png", tmp_path / "list.pdf"
    photo.write_bytes(b"\x89PNG-bytes")
    pdf.write_bytes(b"%PDF-1.4")
    return (OutboundPart(key="file:1", kind="image", path=str(photo), name="shoe.png", content_type="image/png",
                         size=10, url="https://parley.example/files/one/"),
            OutboundPart(key="file:2", kind="file", path=str(pdf), name="list.pdf", content_type="application/pdf",
                         size=8, url="https://parley.example/files/two/"))


def test_telegram_yields_each_accepted_part_and_skips_those_already_sent(fake_telegram, files):
    text = OutboundPart(key="text", kind="text", text="Two files")
    outbound = message("telegram", recipient=CHAT, parts=(text, *files), config={"bot_token": tg.BOT_TOKEN})
    sent = list(registry.get("telegram").send(outbound))
    assert [p.key for p in sent] == ["file:1", "file:2"]  # the text rode as the photo's caption
    assert all(p.external_id and p.external_id.startswith(f"{CHAT}:") for p in sent)

    again = message("telegram", recipient=CHAT, parts=(text, *files), config={"bot_token": tg.BOT_TOKEN},
                    already_sent=frozenset({"file:1"}))
    assert [p.key for p in registry.get("telegram").send(again)] == ["file:2"]
    methods = [r.path.rsplit("/", 1)[1] for r in fake_telegram.requests]
    assert methods == ["sendPhoto", "sendDocument", "sendDocument"]


def test_messenger_splits_the_text_into_parts_of_its_own(fake_graph):
    text = OutboundPart(key="text", kind="text", text="b" * 2500)
    outbound = message("messenger", recipient=g.PSID, parts=(text,),
                       config={"access_token": g.PAGE_TOKEN, "page_id": g.PAGE_ID})
    assert [p.key for p in registry.get("messenger").send(outbound)] == ["text:0", "text:2000"]


def test_the_api_channel_posts_the_neutral_message_with_signed_links_and_the_delivery_id(settings, files):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    receiver = DeliveryReceiver().start()
    try:
        outbound = message("api", recipient="ext-9", parts=(OutboundPart(key="text", kind="text", text="Hola"),
                                                             *files), webhook_url=f"{receiver.url}/hook")
        assert list(registry.get("api").send(outbound)) == [SentPart("message")]
        assert list(registry.get("api").send(message(
            "api", recipient="ext-9", parts=outbound.parts, webhook_url=f"{receiver.url}/hook",
            already_sent=frozenset({"message"})))) == []  # accepted once: not posted again
    finally:
        receiver.stop()
    [request] = receiver.requests
    assert request.headers["X-Parley-Delivery"] == "981"
    body = json.loads(request.body)
    assert body["contact"] == {"id": "ext-9"} and body["conversation"] == {"id": 42}
    assert body["message"]["attachments"] == [
        {"url": "https://parley.example/files/one/", "name": "shoe.png", "content_type": "image/png", "size": 10},
        {"url": "https://parley.example/files/two/", "name": "list.pdf", "content_type": "application/pdf",
         "size": 8}]


def test_a_file_part_without_a_local_file_is_a_final_error(fake_telegram):
    missing = OutboundPart(key="file:3", kind="file", path=None, name="gone.pdf", content_type="application/pdf")
    with pytest.raises(SendError, match="gone.pdf"):
        list(registry.get("telegram").send(message("telegram", recipient=CHAT, parts=(missing,),
                                                   config={"bot_token": tg.BOT_TOKEN})))


# ---- the one HTTP helper: how every provider's answer is sorted -------------------------------------------


@pytest.fixture
def server(settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    fake = FakeServer().start()
    try:
        yield fake
    finally:
        fake.stop()


def test_429_and_5xx_are_transient_with_retry_after(server):
    server.script("/hook", Reply(429, {}, headers={"Retry-After": "17"}),
                  Reply(503, b"down", content_type="text/plain"))
    with pytest.raises(TransientSendError) as busy:
        http.post(f"{server.url}/hook", json={})
    assert busy.value.retry_after == 17
    with pytest.raises(TransientSendError, match="503"):
        http.post(f"{server.url}/hook", json={})


def test_a_refusal_carries_the_providers_words_from_its_json(server):
    server.script("/hook", Reply(422, {"error": {"message": "unknown conversation"}}),
                  Reply(400, {"detail": "text is required"}),
                  Reply(404, b"<html><body>Not Found</body></html>", content_type="text/html"))
    with pytest.raises(SendError, match="422: unknown conversation"):
        http.post(f"{server.url}/hook", json={})
    with pytest.raises(SendError, match="400: text is required"):
        http.post(f"{server.url}/hook", json={})
    with pytest.raises(SendError) as page:
        http.post(f"{server.url}/hook", json={})
    assert "404" in str(page.value) and "<html>" not in str(page.value)  # an HTML page says nothing useful


class SlowServer(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.server.handle_error = lambda *args: None  # the client gave up: its closed socket is expected

    def handle(self, request):
        time.sleep(1)
        return Reply(200, {})


def test_network_errors_and_timeouts_are_transient(settings, monkeypatch):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    with pytest.raises(TransientSendError, match="Could not reach"):
        http.post("http://127.0.0.1:9/hook", json={})
    silent = SlowServer().start()
    monkeypatch.setattr(http, "TIMEOUT", (0.5, 0.2))
    try:
        with pytest.raises(TransientSendError, match="did not answer in time"):
            http.post(f"{silent.url}/hook", json={})
    finally:
        silent.stop()


def test_a_provider_reading_decides_what_an_answer_means(server):
    # Telegram answers 200 with ok=false; Graph answers 400 with a throttling code: the provider's reading wins.
    server.script("/bot/sendMessage", Reply(200, {"ok": False, "error_code": 400, "description": "chat not found"}))
    from connectors import meta, telegram

    with pytest.raises(SendError, match="no longer knows this chat"):
        http.call("POST", f"{server.url}/bot/sendMessage", who="Telegram",
                  read=lambda status, body: None if body.get("ok") else http.Refusal(
                      telegram.explain(body.get("error_code"), body.get("description", ""))))
    server.script("/graph", Reply(400, {"error": {"message": "(#613) Calls limited", "code": 613}}))
    with pytest.raises(TransientSendError):
        http.call("GET", f"{server.url}/graph", who="Messenger",
                  read=lambda status, body: meta.graph_refusal(body["error"], product="Messenger"))
