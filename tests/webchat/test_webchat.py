"""The web chat widget: visitor tokens, messages and files, CORS, rate limits, bad input, the visitor socket."""

from __future__ import annotations

import json
import sys
import types
import uuid
from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from connectors import registry
from contacts.models import ContactIdentity
from inbox.models import Attachment, Channel, Conversation, Message
from inbox.services import delivery
from inbox.services.replying import add_note, send_reply
from tests import factories as f
from webchat import services as webchat

SHOP = "https://shop.example"

try:  # channels.testing imports daphne for its live-server test case, which Parley does not use
    import daphne.testing  # noqa: F401
except ModuleNotFoundError:
    _stub = types.ModuleType("daphne.testing")
    _stub.DaphneProcess = object
    sys.modules.setdefault("daphne", types.ModuleType("daphne"))
    sys.modules.setdefault("daphne.testing", _stub)
from channels.testing import WebsocketCommunicator  # noqa: E402


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    """Delivery and media tasks are called directly where a test needs them."""
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)
    monkeypatch.setattr(tasks.download_attachments, "delay", lambda *a: None)


@pytest.fixture(autouse=True)
def roomy_session_limit(settings):
    settings.WEBCHAT_SESSIONS_PER_MINUTE = 1000


def make_webchat(workspace, **config) -> Channel:
    config.setdefault("allowed_origins", [SHOP])
    return f.make_channel(workspace, "webchat", config=config)


def new_token(client, channel: Channel, origin: str = SHOP, **data) -> str:
    response = client.post(f"/widget/{channel.uuid}/session/", data, headers={"origin": origin})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def post_message(client, channel: Channel, token: str, origin: str = SHOP, **data):
    return client.post(f"/widget/{channel.uuid}/messages/", data,
                       headers={"origin": origin, "authorization": f"Bearer {token}"})


def get_history(client, channel: Channel, token: str, after: int | str = 0):
    return client.get(f"/widget/{channel.uuid}/messages/", {"after": after},
                      headers={"origin": SHOP, "authorization": f"Bearer {token}"})


# ---- sessions -------------------------------------------------------------------------------------


def test_session_token_is_reused_so_a_returning_visitor_stays_the_same_contact(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    again = client.post(f"/widget/{channel.uuid}/session/",
                        headers={"origin": SHOP, "authorization": f"Bearer {token}"})
    assert again.status_code == 200 and again.json()["returning"] is True
    refreshed = again.json()["token"]
    assert webchat.read_token(refreshed, channel).visitor_id == webchat.read_token(token, channel).visitor_id

    assert post_message(client, channel, token, text="First visit").status_code == 201
    assert post_message(client, channel, refreshed, text="Back again").status_code == 201
    conversation = Conversation.objects.for_workspace(demo.workspace).get()
    assert list(conversation.messages.values_list("body", flat=True)) == ["First visit", "Back again"]
    assert ContactIdentity.objects.get(channel=channel).external_id == webchat.read_token(token, channel).visitor_id


def test_a_token_of_another_channel_is_refused(demo, client):
    first, second = make_webchat(demo.workspace), make_webchat(demo.workspace)
    token = new_token(client, first)
    response = post_message(client, second, token, text="Hi")
    assert response.status_code == 401 and response.json()["field"] == "token"
    assert get_history(client, second, token).status_code == 401
    fresh = client.post(f"/widget/{second.uuid}/session/", headers={"origin": SHOP, "authorization": f"Bearer {token}"})
    assert fresh.status_code == 201 and fresh.json()["returning"] is False
    assert not Message.objects.exists()


def test_name_and_email_asked_by_the_channel_are_required_and_reach_the_contact(demo, client):
    channel = make_webchat(demo.workspace, ask_name=True, ask_email=True)
    url = f"/widget/{channel.uuid}/session/"
    assert client.post(url, {"email": "w@example.com"}, headers={"origin": SHOP}).json()["field"] == "name"
    bad = client.post(url, {"name": "Wendy", "email": "not-an-email"}, headers={"origin": SHOP})
    assert bad.status_code == 400 and bad.json()["field"] == "email"
    token = new_token(client, channel, name="Wendy\x00 Visitor", email="W@Example.com")
    post_message(client, channel, token, text="Hello")
    contact = Conversation.objects.for_workspace(demo.workspace).get().contact
    assert (contact.name, contact.email) == ("Wendy Visitor", "w@example.com")


# ---- messages and files ---------------------------------------------------------------------------


def test_a_visitor_message_opens_an_unassigned_conversation_in_the_inbox(demo, client, client_for):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel, name="Wendy Visitor")
    response = post_message(client, channel, token, text="<b>Where is my order?</b>")
    assert response.status_code == 201
    payload = response.json()["message"]
    assert payload["direction"] == "in" and payload["text"] == "<b>Where is my order?</b>"
    conversation = Conversation.objects.for_workspace(demo.workspace).get()
    assert conversation.is_open and conversation.assignee is None and conversation.channel == channel
    page = client_for(demo.agent).get(f"/w/{demo.slug}/messages/")
    assert "Wendy Visitor" in page.content.decode()
    detail = client_for(demo.agent).get(f"/w/{demo.slug}/messages/{conversation.pk}/").content.decode()
    assert "&lt;b&gt;Where is my order?&lt;/b&gt;" in detail and "<b>Where is my order?</b>" not in detail


def test_files_are_stored_with_the_message_and_come_back_as_signed_links(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    photo = SimpleUploadedFile("../../etc/photo.png", b"\x89PNG\r\n\x1a\n fake", content_type="image/png")
    notes = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = post_message(client, channel, token, files=[photo, notes])
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert message.kind == "image" and message.body == ""
    stored = list(Attachment.objects.filter(message=message).order_by("pk"))
    assert [(a.name, a.size, a.content_type) for a in stored] == [
        ("photo.png", 13, "image/png"), ("notes.txt", 5, "text/plain")]
    assert all(a.file and "etc" not in a.file.name for a in stored)
    urls = [a["url"] for a in response.json()["message"]["attachments"]]
    assert len(urls) == 2 and all("/files/" in u for u in urls)
    download = client.get(urlsplit(urls[1]).path)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"hello"
    assert download["X-Content-Type-Options"] == "nosniff" and "attachment" in download["Content-Disposition"]


def test_too_large_or_too_many_files_are_refused_with_the_limit(demo, client, monkeypatch):
    from media import uploads

    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    monkeypatch.setattr(uploads, "VISITOR_MAX_FILE_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 512 * 1024))
    response = post_message(client, channel, token, text="see file", files=[big])
    assert response.status_code == 400 and response.json()["field"] == "files"
    assert response.json()["error"] == "“big.bin” is too large: 1.5 MB, the limit is 1 MB."
    many = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(webchat.MAX_FILES + 1)]
    response = post_message(client, channel, token, files=many)
    assert response.status_code == 400 and response.json()["field"] == "files"
    assert not Message.objects.exists()


@pytest.mark.parametrize(("data", "field", "needle"), [
    ({}, "text", "Write a message"),
    ({"text": "   \x00 "}, "text", "Write a message"),
    ({"text": "x" * 4097}, "text", "4096"),
])
def test_bad_messages_answer_400_with_the_field(demo, client, data, field, needle):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    response = post_message(client, channel, token, **data)
    assert response.status_code == 400
    assert response.json()["field"] == field and needle in response.json()["error"]


def test_bad_session_input_and_missing_token_answer_json_errors(demo, client):
    channel = make_webchat(demo.workspace)
    url = f"/widget/{channel.uuid}/session/"
    response = client.post(url, "{not json", content_type="application/json", headers={"origin": SHOP})
    assert response.status_code == 400 and response.json()["field"] == "body"
    assert client.post(url, {"name": "x" * 201}, headers={"origin": SHOP}).json()["field"] == "name"
    no_token = client.post(f"/widget/{channel.uuid}/messages/", {"text": "hi"}, headers={"origin": SHOP})
    assert no_token.status_code == 401 and no_token.json()["field"] == "token"
    token = new_token(client, channel)
    assert get_history(client, channel, token, after="abc").json()["field"] == "after"
    assert client.get(f"/widget/{uuid.uuid4()}/messages/").status_code == 404


def test_a_repeated_post_with_the_same_client_id_is_stored_once(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    first = post_message(client, channel, token, text="Hello", client_id="draft-12345678")
    second = post_message(client, channel, token, text="Hello", client_id="draft-12345678")
    assert first.json()["message"]["id"] == second.json()["message"]["id"]
    assert Message.objects.count() == 1


def test_visitor_messages_are_rate_limited_per_visitor(demo, client, settings):
    settings.WEBCHAT_MESSAGES_PER_MINUTE = 3
    channel = make_webchat(demo.workspace)
    token, other = new_token(client, channel), new_token(client, channel)
    for i in range(3):
        assert post_message(client, channel, token, text=f"m{i}").status_code == 201
    response = post_message(client, channel, token, text="one too many")
    assert response.status_code == 429
    assert "too fast" in response.json()["error"] and int(response["Retry-After"]) >= 1
    assert response["Access-Control-Allow-Origin"] == SHOP  # the widget can read why
    assert post_message(client, channel, other, text="another visitor").status_code == 201


def test_new_sessions_are_rate_limited_per_address(demo, client, settings):
    settings.WEBCHAT_SESSIONS_PER_MINUTE = 2
    channel = make_webchat(demo.workspace)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    codes = [client.post(f"/widget/{channel.uuid}/session/", REMOTE_ADDR=address).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


# ---- CORS -----------------------------------------------------------------------------------------


def test_cors_allows_the_channel_origins_and_the_app_itself_and_refuses_others(demo, client):
    channel = make_webchat(demo.workspace, allowed_origins=["https://Shop.Example:443/"])
    ok = client.post(f"/widget/{channel.uuid}/session/", headers={"origin": SHOP})
    assert ok.status_code == 201 and ok["Access-Control-Allow-Origin"] == SHOP and "Origin" in ok["Vary"]
    own = client.post(f"/widget/{channel.uuid}/session/", headers={"origin": "http://testserver"})
    assert own.status_code == 201
    refused = client.post(f"/widget/{channel.uuid}/session/", headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["field"] == "origin"
    assert "Access-Control-Allow-Origin" not in refused
    token = ok.json()["token"]
    stolen = post_message(client, channel, token, origin="https://evil.example", text="hi")
    assert stolen.status_code == 403 and not Message.objects.exists()


def test_preflight_is_answered_for_allowed_origins_only(demo, client):
    channel = make_webchat(demo.workspace)
    url = f"/widget/{channel.uuid}/messages/"
    ok = client.options(url, headers={"origin": SHOP, "access-control-request-method": "POST",
                                      "access-control-request-headers": "authorization"})
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == SHOP
    assert "Authorization" in ok["Access-Control-Allow-Headers"] and "POST" in ok["Access-Control-Allow-Methods"]
    assert client.options(url, headers={"origin": "https://evil.example"}).status_code == 403


# ---- history, script, demo, isolation ---------------------------------------------------------------


def test_history_holds_only_the_visitors_own_messages_without_internal_notes(demo, client):
    channel = make_webchat(demo.workspace)
    token, stranger = new_token(client, channel), new_token(client, channel)
    post_message(client, channel, token, text="Mine")
    post_message(client, channel, stranger, text="Someone else's")
    conversation = Conversation.objects.get(messages__body="Mine")
    add_note(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="VIP, be nice")
    reply = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hi!")
    texts = [m["text"] for m in get_history(client, channel, token).json()["messages"]]
    assert texts == ["Mine", "Hi!"]
    first_id = get_history(client, channel, token).json()["messages"][0]["id"]
    assert [m["id"] for m in get_history(client, channel, token, after=first_id).json()["messages"]] == [reply.pk]
    assert [m["text"] for m in get_history(client, channel, stranger).json()["messages"]] == ["Someone else's"]


def test_survey_links_come_as_actions(demo, client, settings):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    post_message(client, channel, token, text="Hi")
    conversation = Conversation.objects.get()
    send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
               body=f"How did we do? {settings.PUBLIC_BASE_URL}/s/abc123/. Thanks!")
    reply = get_history(client, channel, token).json()["messages"][-1]
    assert reply["actions"] == [{"label": "Open survey", "url": f"{settings.PUBLIC_BASE_URL}/s/abc123/"}]
    assert reply["author"] == demo.agent.display_name


def test_the_script_carries_the_public_config_as_safe_json(demo, client):
    channel = make_webchat(demo.workspace, greeting="Hi </script><script>alert(1)</script> \u2028", ask_name=True)
    response = client.get(f"/widget/{channel.uuid}.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert "</script" not in body and "\u2028" not in body
    assert str(channel.uuid) in body and '"ask_name": true' in body and SHOP in body
    assert '"Open chat"' in body and "channel.token" not in body and channel.secret not in body
    api = f.make_channel(demo.workspace, "api")
    assert client.get(f"/widget/{api.uuid}.js").status_code == 404


def test_the_demo_page_embeds_the_demo_workspace_channel_created_once(demo, client, settings):
    settings.DEBUG = True
    first = client.get("/widget/demo/")
    second = client.get("/widget/demo/")
    assert first.status_code == second.status_code == 200
    channel = Channel.objects.for_workspace(demo.workspace).get(kind="webchat")
    assert channel.name == "Website chat"
    assert f'src="/widget/{channel.uuid}.js"' in second.content.decode()
    assert 'href="/login/"' in second.content.decode()
    with override_settings(DEBUG=False, PARLEY_MODE="services"):
        assert client.get("/widget/demo/").status_code == 404


def test_another_workspace_stays_apart(demo, other, client, client_for):
    mine, theirs = make_webchat(demo.workspace), make_webchat(other.workspace)
    token = new_token(client, theirs)
    assert post_message(client, theirs, token, text="Only for Other").status_code == 201
    assert post_message(client, mine, token, text="Sneaking in").status_code == 401
    assert Conversation.objects.for_workspace(demo.workspace).count() == 0
    assert Conversation.objects.for_workspace(other.workspace).count() == 1
    assert "Only for Other" not in client_for(demo.agent).get(f"/w/{demo.slug}/messages/").content.decode()


def test_webhooks_cannot_post_as_a_visitor(demo, client):
    channel = make_webchat(demo.workspace)
    response = client.post(f"/hooks/webchat/{channel.uuid}/", {"text": "hi"})
    assert response.status_code == 403 and not Message.objects.exists()
    assert registry.get("webchat").capabilities.voice_note is True
    assert registry.get("webchat").capabilities.max_file_bytes == 10 * 1024 * 1024


# ---- the visitor's websocket ----------------------------------------------------------------------


async def connect(channel: Channel, token: str, origin: str = SHOP):
    from config.asgi import application

    communicator = WebsocketCommunicator(application, f"/ws/widget/{channel.uuid}/?token={token}",
                                         headers=[(b"origin", origin.encode()), (b"host", b"testserver")])
    connected, _code = await communicator.connect()
    return communicator, connected


def _setup_two_visitors(workspace, client):
    channel = make_webchat(workspace)
    tokens = [new_token(client, channel), new_token(client, channel)]
    for i, token in enumerate(tokens):
        post_message(client, channel, token, text=f"visitor {i}")
    return channel, tokens


def _reply_and_deliver(team, channel: Channel, token: str, text: str) -> Message:
    visitor = webchat.read_token(token, channel)
    contact_id = webchat.visitor_contact_id(channel, visitor.visitor_id)
    conversation = Conversation.objects.for_workspace(team.workspace).get(contact_id=contact_id)
    message = send_reply(workspace=team.workspace, conversation_id=conversation.pk, member=team.agent, body=text)
    delivery.deliver(workspace=team.workspace, message_id=message.pk)
    message.refresh_from_db()
    return message


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_agent_reply_reaches_only_that_visitors_socket(demo, client):
    channel, (token, stranger) = await database_sync_to_async(_setup_two_visitors)(demo.workspace, client)
    mine, ok1 = await connect(channel, token)
    theirs, ok2 = await connect(channel, stranger)
    assert ok1 and ok2
    assert (await mine.receive_json_from())["payload"] == {"subscribed": True}
    assert (await theirs.receive_json_from())["payload"] == {"subscribed": True}

    message = await database_sync_to_async(_reply_and_deliver)(demo, channel, token, "We are <on> it")
    event = await mine.receive_json_from(timeout=5)
    assert event["event"] == "message"
    assert event["payload"]["id"] == message.pk and event["payload"]["text"] == "We are <on> it"
    assert set(event["payload"]) >= {"id", "text", "attachments", "kind", "created_at"}
    assert message.status == "sent"
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_new_visitor_socket_joins_after_the_first_message(demo, client):
    channel = await database_sync_to_async(make_webchat)(demo.workspace)
    token = await database_sync_to_async(new_token)(client, channel)
    communicator, connected = await connect(channel, token)
    assert connected
    assert (await communicator.receive_json_from())["payload"] == {"subscribed": False}
    await database_sync_to_async(post_message)(client, channel, token, text="Hello")
    await communicator.send_json_to({"type": "sync"})
    assert (await communicator.receive_json_from())["payload"] == {"subscribed": True}
    await database_sync_to_async(_reply_and_deliver)(demo, channel, token, "Welcome")
    assert (await communicator.receive_json_from(timeout=5))["payload"]["text"] == "Welcome"
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_wrong_origin_bad_token_and_other_workspaces_tokens_are_refused(demo, other, client):
    channel = await database_sync_to_async(make_webchat)(demo.workspace)
    foreign = await database_sync_to_async(make_webchat)(other.workspace, allowed_origins=[SHOP])
    token = await database_sync_to_async(new_token)(client, channel)
    foreign_token = await database_sync_to_async(new_token)(client, foreign)
    for target, used, origin in [(channel, token, "https://evil.example"), (channel, "forged", SHOP),
                                 (channel, foreign_token, SHOP), (channel, token, "")]:
        communicator, connected = await connect(target, used, origin)
        assert not connected, (used, origin)
        await communicator.disconnect()
    communicator, connected = await connect(channel, token, "http://testserver")  # the app's own demo page
    assert connected
    await communicator.disconnect()


def test_the_demo_channel_service_is_idempotent_and_needs_the_demo_workspace(db):
    assert webchat.webchat_demo_channel() is None
    workspace = f.make_workspace("Demo", "demo")
    assert webchat.webchat_demo_channel() == webchat.webchat_demo_channel()
    assert Channel.objects.for_workspace(workspace).filter(kind="webchat").count() == 1
    assert json.dumps(webchat.public_config(webchat.webchat_demo_channel()))
