"""The webhook's hot path: the channel kept per process (and forgotten when it changes), the light ASGI path
without the pages' middleware, and a returning contact's message costing one statement, push included."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.db import connection

from inbox import hooks
from inbox.models import Channel, Conversation, Message
from tests import factories as f
from tests.e2e.servers import LiveServer
from tests.inbox.helpers import inbound, statements

BODY = {"contact": {"id": "ext-1", "name": "Ana"}, "message": {"id": "m-1", "text": "Hola <b>"}}


def post(client, channel: Channel, body: dict, token: str | None = None):
    return client.post(f"/hooks/{channel.kind}/{channel.uuid}/", data=json.dumps(body),
                       content_type="application/json", headers={"Authorization": f"Bearer {token or channel.token}"})


# ---- the channel, without a query per request ---------------------------------------------------------


def test_a_known_channel_is_answered_without_looking_it_up_again(demo, client):
    channel = f.make_channel(demo.workspace, "api")
    assert post(client, channel, BODY).status_code == 200
    again = {**BODY, "message": {"id": "m-2", "text": "Again"}}
    # The statement and nothing else: no channel lookup (the contact is returning, its row needs no read).
    with statements() as run:
        assert post(client, channel, again).status_code == 200
    assert not any('"inbox_channel"' in sql or "FROM inbox_channel" in sql for sql in run)
    if connection.vendor == "postgresql":
        assert len(run) == 1 and "WITH dup AS" in run[0]  # the inbound statement alone


def test_a_deactivated_channel_stops_at_once_in_the_process_that_saved_it(demo, client):
    channel = f.make_channel(demo.workspace, "api")
    assert post(client, channel, BODY).status_code == 200
    channel.is_active = False
    channel.save()
    response = post(client, channel, {**BODY, "message": {"id": "m-2", "text": "x"}})
    assert response.status_code == 404 and response.json()["field"] == "channel"


def test_a_rotated_token_is_refused_at_once_and_a_deleted_channel_is_gone(demo, client):
    channel = f.make_channel(demo.workspace, "api")
    old = channel.token
    assert post(client, channel, BODY).status_code == 200
    channel.token = "a-new-token-0123456789"
    channel.save()
    assert post(client, channel, BODY, token=old).status_code == 401
    uuid = channel.uuid
    Message.objects.filter(channel=channel).delete()
    Conversation.objects.filter(channel=channel).delete()
    channel.delete()
    assert hooks.channel_for("api", uuid) is None


def test_other_processes_see_a_deactivation_within_the_ttl(demo, client, monkeypatch):
    """A change made elsewhere (no signal here: an UPDATE from another process) is seen once CHANNEL_TTL ends."""
    channel = f.make_channel(demo.workspace, "api")
    clock = [1000.0]
    monkeypatch.setattr(hooks.time, "monotonic", lambda: clock[0])
    assert post(client, channel, BODY).status_code == 200
    Channel.objects.filter(pk=channel.pk).update(is_active=False)
    clock[0] += hooks.CHANNEL_TTL - 0.5
    assert post(client, channel, {**BODY, "message": {"id": "m-2", "text": "x"}}).status_code == 200
    clock[0] += 1.0
    assert post(client, channel, {**BODY, "message": {"id": "m-3", "text": "x"}}).status_code == 404


def test_unknown_channels_are_never_kept(demo):
    channel = f.make_channel(demo.workspace, "api", is_active=False)
    assert hooks.channel_for("api", channel.uuid) is None
    assert hooks.channel_for("telegram", channel.uuid) is None  # another kind: another key, not found either
    assert ("api", str(channel.uuid)) not in hooks._channels
    Channel.objects.filter(pk=channel.pk).update(is_active=True)  # activated elsewhere: found at once
    assert hooks.channel_for("api", channel.uuid).pk == channel.pk


def test_each_request_gets_its_own_copy_of_the_kept_channel(demo):
    channel = f.make_channel(demo.workspace, "api")
    first = hooks.channel_for("api", channel.uuid)
    first.name = "changed by a request"
    first.workspace.name = "changed too"
    second = hooks.channel_for("api", channel.uuid)
    assert second.name == channel.name and second.workspace.name == demo.workspace.name
    assert second.workspace_id == demo.workspace.pk


def test_another_workspaces_channel_stays_its_own(demo, other, client):
    ours, theirs = f.make_channel(demo.workspace, "api"), f.make_channel(other.workspace, "api")
    assert post(client, ours, BODY).status_code == 200
    assert post(client, theirs, BODY, token=ours.token).status_code == 401  # our token is not theirs
    assert post(client, theirs, BODY).status_code == 200
    assert Message.objects.get(channel=theirs).workspace_id == other.workspace.pk


# ---- one statement for a returning contact, push included -------------------------------------------


@pytest.mark.services
def test_a_returning_contacts_message_to_an_assigned_conversation_is_one_statement(demo,
                                                                                   django_capture_on_commit_callbacks):
    from realtime import journal

    channel = f.make_channel(demo.workspace, "api")
    first = inbound(demo.workspace, channel, contact="c-1", msg="m-1", name="Ana")
    Conversation.objects.filter(pk=first.conversation.pk).update(assignee=demo.agent)
    before = journal.current(demo.workspace.pk)
    with statements() as run, django_capture_on_commit_callbacks(execute=True):
        inbound(demo.workspace, channel, contact="c-1", msg="m-2", text="Second", name="Ana")
    assert len(run) == 1
    [frame] = journal.replay(demo.workspace.pk, before)
    row = frame["payload"]["conversation"]
    assert (row["assignee_id"], row["assignee_name"], row["contact_name"]) == (
        demo.agent.pk, demo.agent.display_name, "Ana")
    assert demo.agent.display_name in row["row_html"] and "Second" in frame["payload"]["html"]


# ---- the light ASGI path ------------------------------------------------------------------------------


@pytest.fixture
def server(transactional_db):
    from config.asgi import application

    live = LiveServer(application)
    live.start()
    try:
        yield urlsplit(live.url)
    finally:
        live.stop()


def _request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             chunked: bool = False):
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _hook(server, channel: Channel, body: bytes, *, token: str | None = None, chunked: bool = False):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token or channel.token}"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
        return _request(server, "POST", f"/hooks/api/{channel.uuid}/", iter([body]), headers, chunked=True)
    return _request(server, "POST", f"/hooks/api/{channel.uuid}/", body, headers)


def test_the_light_path_stores_answers_json_and_touches_no_session(server, demo):
    channel = f.make_channel(demo.workspace, "api")
    status, headers, content = _hook(server, channel, json.dumps(BODY).encode())
    assert status == 200 and json.loads(content) == {"ok": True, "stored": 1, "duplicates": 0}
    assert Message.objects.get(channel=channel).body == "Hola <b>"
    assert headers["content-type"] == "application/json" and headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in {k.lower() for k in headers} and "Cookie" not in headers.get("vary", "")
    status, _h, content = _hook(server, channel, json.dumps(BODY).encode())
    assert status == 200 and json.loads(content)["duplicates"] == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_the_light_path_refuses_a_body_over_the_limit_with_413(server, demo, chunked):
    channel = f.make_channel(demo.workspace, "api")
    big = json.dumps({**BODY, "message": {"id": "m", "text": "x" * (hooks.MAX_BODY + 10)}}).encode()
    status, _h, content = _hook(server, channel, big, chunked=chunked)
    assert status == 413 and json.loads(content)["field"] == "body"
    assert not Message.objects.exists()


def test_the_light_path_keeps_the_views_answers(server, demo):
    channel = f.make_channel(demo.workspace, "api")
    status, _h, content = _hook(server, channel, b"{not json")
    assert status == 400 and json.loads(content)["field"] == "body"
    status, _h, _c = _hook(server, channel, json.dumps(BODY).encode(), token="wrong")
    assert status == 401
    status, _h, content = _request(server, "POST", "/hooks/api/00000000-0000-0000-0000-000000000000/", b"{}")
    assert status == 404 and json.loads(content)["field"] == "channel"
    status, _h, _c = _request(server, "POST", "/hooks/api/not-a-uuid/", b"{}")
    assert status == 404
    status, headers, _c = _request(server, "POST", "/hooks/api/x", b"{}", {"Host": "evil.example"})
    assert status == 400  # the host check stays on the light path (ALLOWED_HOSTS)
    assert not Message.objects.exists()


def test_pages_still_take_the_whole_middleware_stack(server):
    status, headers, _c = _request(server, "GET", "/login/")
    assert status == 200 and "csrftoken" in headers.get("set-cookie", "")
    assert "content-security-policy" in {k.lower() for k in headers}
