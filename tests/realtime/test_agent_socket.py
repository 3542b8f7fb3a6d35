"""The agents' websocket: who may connect, and who hears what."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from tests import factories as f
from tests.inbox.helpers import inbound

pytestmark = pytest.mark.django_db(transaction=True)


def _app():
    from config.asgi import application

    return application


def _cookie(_client, membership) -> bytes:
    from django.test import Client

    client = Client()  # one client per session: logging in again would end the previous session
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _communicator(slug: str, cookie: bytes | None, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(_app(), f"/ws/w/{slug}/", headers=headers)


async def _connect(communicator) -> bool:
    connected, _code = await communicator.connect(timeout=5)
    return connected


async def _drain_until(communicator, event: str, timeout: float = 5.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.1, deadline - loop.time()))
        if message["event"] == event:
            return message


def test_anonymous_socket_is_refused(demo):
    async def scenario():
        communicator = _communicator(demo.slug, None)
        assert not await _connect(communicator)

    async_to_sync(scenario)()


def test_non_member_socket_is_refused(client, demo, other):
    cookie = _cookie(client, other.agent)

    async def scenario():
        communicator = _communicator(demo.slug, cookie)
        assert not await _connect(communicator)

    async_to_sync(scenario)()


def test_foreign_origin_is_refused(client, demo):
    cookie = _cookie(client, demo.agent)

    async def scenario():
        communicator = _communicator(demo.slug, cookie, origin=b"https://evil.example")
        assert not await _connect(communicator)

    async_to_sync(scenario)()


def test_member_hears_inbound_message_and_other_workspace_hears_nothing(client, demo, other):
    channel = f.make_channel(demo.workspace, "api")
    cookie_demo = _cookie(client, demo.agent)
    cookie_other = _cookie(client, other.agent)

    async def scenario():
        ours = _communicator(demo.slug, cookie_demo)
        theirs = _communicator(other.slug, cookie_other)
        assert await _connect(ours) and await _connect(theirs)
        await _drain_until(ours, "hello")
        await _drain_until(theirs, "hello")
        await sync_to_async(inbound)(demo.workspace, channel, contact="c-1", msg="m-1", text="Hola <b>")
        created = await _drain_until(ours, "message.created")  # one frame: the message and its queue row
        opened = created["payload"]["conversation"]
        assert opened["status"] == "open" and opened["assignee_id"] is None
        assert opened["counts"]["unassigned"] == 1
        assert "Ana García" in opened["row_html"]
        assert "Hola &lt;b&gt;" in created["payload"]["html"]
        assert isinstance(created["seq"], int)
        assert await theirs.receive_nothing(timeout=0.5)
        await ours.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


def test_assignment_and_closing_are_pushed(client, demo):
    conversation = f.make_conversation(demo.workspace)
    cookie = _cookie(client, demo.agent)

    async def scenario():
        from inbox.services.assignment import conversation_assign
        from inbox.services.closing import conversation_close

        socket = _communicator(demo.slug, cookie)
        assert await _connect(socket)
        await sync_to_async(conversation_assign)(workspace=demo.workspace, conversation_id=conversation.pk,
                                                 assignee=demo.agent2, actor=demo.agent)
        assigned = await _drain_until(socket, "conversation.assigned")
        assert assigned["payload"]["assignee_id"] == demo.agent2.pk
        assert assigned["payload"]["assignee_name"] == demo.agent2.display_name
        category = await sync_to_async(f.make_category)(demo.workspace)
        await sync_to_async(conversation_close)(workspace=demo.workspace, conversation_id=conversation.pk,
                                                category=category, summary="Done", actor=demo.agent)
        closed = await _drain_until(socket, "conversation.closed")
        assert closed["payload"]["status"] == "closed" and closed["payload"]["counts"]["all"] == 0
        await socket.disconnect()

    async_to_sync(scenario)()
