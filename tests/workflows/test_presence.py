"""Presence: online while an inbox page's socket is connected (connect, ping, disconnect), "away" set by the
member; becoming available records MemberAvailable; the Assign control shows presence and open counts."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from kernel.models import Job
from realtime import presence
from tests import factories as f
from workflows.models import Workflow

from .helpers import assign_step, make_workflow, online

T = Workflow.Trigger


def _cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _socket(slug: str, cookie: bytes) -> WebsocketCommunicator:
    from config.asgi import application

    return WebsocketCommunicator(application, f"/ws/w/{slug}/",
                                 headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"),
                                          (b"cookie", cookie)])


@pytest.mark.django_db(transaction=True)
def test_a_member_is_online_while_a_socket_is_connected_and_offline_after(world):
    agent = world.demo.agent
    cookie = _cookie(agent)

    async def scenario():
        first, second = _socket(world.demo.slug, cookie), _socket(world.demo.slug, cookie)
        assert (await first.connect(timeout=5))[0]
        await first.receive_json_from(timeout=5)  # hello
        assert presence.online_ids([agent.pk]) == {agent.pk}
        assert (await second.connect(timeout=5))[0]
        await second.receive_json_from(timeout=5)
        await first.send_json_to({"type": "ping"})
        assert (await first.receive_json_from(timeout=5))["event"] == "pong"
        await first.disconnect()
        assert presence.online_ids([agent.pk]) == {agent.pk}  # the other tab is still open
        await second.disconnect()
        assert presence.online_ids([agent.pk]) == set()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_coming_online_records_member_available_once_and_never_while_away(world):
    make_workflow(world.ws, T.CONVERSATION_OPENED, steps=[assign_step(online_only=True)])
    agent, away = world.demo.agent, world.demo.agent2
    away.away = True
    away.save(update_fields=["away"])

    def available_jobs() -> int:
        return Job.objects.filter(task="workflows.tasks.handle_event", args__1="MemberAvailable").count()

    assert presence.socket_opened(workspace_id=world.ws.pk, membership_id=agent.pk, socket_id="a")
    assert not presence.socket_opened(workspace_id=world.ws.pk, membership_id=agent.pk, socket_id="b")
    assert not presence.socket_opened(workspace_id=world.ws.pk, membership_id=away.pk, socket_id="c")
    assert available_jobs() == 1
    assert presence.set_away(workspace=world.ws, membership=away, away=False)  # back, and connected
    assert available_jobs() == 2


def test_the_away_form_sets_and_clears_away_for_oneself_only(world, client):
    agent = world.demo.agent
    client.force_login(agent.user)
    url = f"/w/{world.demo.slug}/presence/away/"
    response = client.post(url, {"away": "1", "next": f"/w/{world.demo.slug}/messages/"})
    assert response.status_code == 302 and response["Location"] == f"/w/{world.demo.slug}/messages/"
    agent.refresh_from_db()
    assert agent.away and presence.statuses([(agent.pk, agent.away)]) == {agent.pk: presence.AWAY}
    page = client.get(f"/w/{world.demo.slug}/messages/").content.decode()
    assert "Set yourself available" in page
    client.post(url, {"away": "0", "next": "https://evil.example/"})
    agent.refresh_from_db()
    assert not agent.away
    assert client.get(f"/w/{world.other.slug}/presence/away/").status_code == 404
    assert client.post(f"/w/{world.other.slug}/presence/away/", {"away": "1"}).status_code == 404


def test_the_assign_control_shows_each_members_presence_and_open_count(world, client):
    demo = world.demo
    for _ in range(2):
        f.make_conversation(world.ws, channel=world.channel, assignee=demo.agent)
    conversation = f.make_conversation(world.ws, channel=world.channel)
    online(demo.agent)
    demo.agent2.away = True
    demo.agent2.save(update_fields=["away"])
    client.force_login(demo.supervisor.user)
    html = client.get(f"/w/{demo.slug}/messages/{conversation.pk}/").content.decode()
    options = dict(re.findall(r'<option value="(\d+)" data-presence="[a-z]+" [^>]*>([^<]+)</option>', html))
    assert options[str(demo.agent.pk)] == f"{demo.agent.display_name} — online, 2 open"
    assert options[str(demo.agent2.pk)] == f"{demo.agent2.display_name} — away, 0 open"
    assert options[str(demo.admin.pk)] == f"{demo.admin.display_name} — offline, 0 open"
    assert world.other.agent.display_name not in html


def test_the_conversation_page_keeps_its_query_budget_with_presence(world, client, django_assert_max_num_queries):
    conversation = f.make_conversation(world.ws, channel=world.channel)
    for _ in range(5):
        f.make_member(world.ws, "agent")
    client.force_login(world.demo.agent.user)
    client.get(f"/w/{world.demo.slug}/messages/{conversation.pk}/")
    with django_assert_max_num_queries(8):
        assert client.get(f"/w/{world.demo.slug}/messages/{conversation.pk}/").status_code == 200
