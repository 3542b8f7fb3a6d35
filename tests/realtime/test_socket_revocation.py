"""Live sockets follow the session: sign-out, password change, membership removal and role change close
them within a second, through a real server and a real websocket client; the widget's socket is unaffected."""

from __future__ import annotations

import contextlib
import time
from importlib import import_module

import pytest
import requests
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.test import RequestFactory
from websockets.sync.client import connect

from inbox.models import Conversation
from inbox.services import delivery
from inbox.services.replying import send_reply
from realtime import events, sessions
from realtime.consumers import AgentConsumer
from tests import factories as f
from tests.factories import PASSWORD
from webchat import services as webchat
from workspaces.models import Membership

from .live import Visitor, closed_within, receive, receive_until, refused_status, stays_open

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SHOP = "https://shop.example"


def _probe(workspace, text: str) -> None:
    """Something happening in the workspace: an event every member's socket would forward."""
    events.publish(workspace.pk, events.CONVERSATION_UPDATED, {"probe": text})


def _probe_reaches(socket, text: str) -> bool:
    return receive_until(socket, events.CONVERSATION_UPDATED)["payload"] == {"probe": text}


def _session_store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def _change_password(user, session_key: str) -> str:
    """What a password change view does for the browser that made it; returns that session's new key."""
    request = RequestFactory().post("/account/password/")
    request.session = _session_store(session_key)
    request.user = user
    user.set_password("a-brand-new-password-9")
    user.save()
    update_session_auth_hash(request, user)  # cycles the session key
    request.session.save()
    return request.session.session_key


def _with_cookie(server_url: str, session_key: str) -> Visitor:
    visitor = Visitor(server_url)
    visitor.http.cookies.set("sessionid", session_key)
    return visitor


# ---- sign-out -------------------------------------------------------------------------------------


def test_signing_out_closes_that_sessions_socket_within_a_second(server_url, demo):
    tab = Visitor(server_url).sign_in(demo.agent)
    laptop = Visitor(server_url).sign_in(demo.agent)  # the same person in another browser
    colleague = Visitor(server_url).with_session(demo.agent2)
    ours, elsewhere, theirs = (v.open_socket(demo.slug) for v in (tab, laptop, colleague))
    old_key = tab.session_key

    started = time.monotonic()
    response = tab.post("/logout/")
    assert response.status_code == 302 and response.headers["location"] == "/login/"
    closed = closed_within(ours, 1.0, started=started)
    assert closed.code == sessions.CLOSE_SESSION_ENDED
    assert closed.names == ["session.ended"]
    notice = closed.events[0]["payload"]
    assert notice["reason"] == sessions.SIGNED_OUT
    assert notice["link_url"] == "/login/?next=%2Fw%2Fdemo%2F" and notice["link_text"] == "Sign in"
    assert notice["notice"] == "You signed out. Sign in again to keep working."

    assert refused_status(_with_cookie(server_url, old_key), demo.slug) == 403
    _probe(demo.workspace, "still here")
    assert _probe_reaches(elsewhere, "still here")  # signing out one browser leaves the other signed in
    assert _probe_reaches(theirs, "still here")


def test_a_socket_opening_with_a_signed_out_session_is_refused(server_url, demo):
    agent = Visitor(server_url).with_session(demo.agent)
    key = agent.session_key
    _session_store(key).delete()
    sessions.revoke_session_sockets(session_key=key)  # nobody is listening yet: nothing to close
    assert refused_status(agent, demo.slug) == 403


# ---- password change ------------------------------------------------------------------------------


def test_password_change_closes_the_other_sessions_sockets_and_keeps_this_ones(server_url, demo):
    here = Visitor(server_url).with_session(demo.agent)
    there = Visitor(server_url).with_session(demo.agent)
    kept, other = here.open_socket(demo.slug), there.open_socket(demo.slug)
    old_key = here.session_key

    new_key = _change_password(demo.agent.user, old_key)
    started = time.monotonic()
    sessions.revoke_user_sockets(user_id=demo.agent.user_id, keep_session_key=old_key, new_session_key=new_key,
                                 reason=sessions.PASSWORD_CHANGED)
    closed = closed_within(other, 1.0, started=started)
    assert closed.code == sessions.CLOSE_SESSION_ENDED and closed.names == ["session.ended"]
    assert closed.events[0]["payload"]["reason"] == sessions.PASSWORD_CHANGED
    assert refused_status(there, demo.slug) == 403  # its session no longer matches the password

    _probe(demo.workspace, "after the change")
    assert _probe_reaches(kept, "after the change")
    renewed = _with_cookie(server_url, new_key)
    renewed.open_socket(demo.slug).close()  # the browser's new cookie opens sockets as before

    # The kept socket follows the session's new key: signing that out closes it too.
    started = time.monotonic()
    sessions.revoke_session_sockets(session_key=new_key, reason=sessions.SIGNED_OUT)
    assert closed_within(kept, 1.0, started=started).code == sessions.CLOSE_SESSION_ENDED


def test_a_kept_socket_whose_old_key_is_gone_is_asked_to_reconnect_not_signed_out(server_url, demo, monkeypatch):
    monkeypatch.setattr(AgentConsumer, "revalidate_seconds", 0.3)
    here = Visitor(server_url).with_session(demo.agent)
    kept = here.open_socket(demo.slug)
    old_key = here.session_key
    new_key = _change_password(demo.agent.user, old_key)
    sessions.revoke_user_sockets(user_id=demo.agent.user_id, keep_session_key=old_key, new_session_key=new_key,
                                 reason=sessions.PASSWORD_CHANGED)
    closed = closed_within(kept, 2.0)
    assert closed.code == sessions.CLOSE_RECONNECT and closed.names == []
    _with_cookie(server_url, new_key).open_socket(demo.slug).close()


def test_a_session_invalidated_elsewhere_is_refused_and_its_open_socket_closes_even_without_a_revocation(
    server_url, demo, monkeypatch
):
    monkeypatch.setattr(AgentConsumer, "revalidate_seconds", 0.3)
    agent = Visitor(server_url).with_session(demo.agent)
    socket = agent.open_socket(demo.slug)
    user = demo.agent.user
    user.set_password("changed-on-another-device-1")  # as if the control message had been lost
    user.save()
    assert refused_status(agent, demo.slug) == 403
    closed = closed_within(socket, 2.0)
    assert closed.code == sessions.CLOSE_SESSION_ENDED
    assert closed.events[-1]["payload"]["reason"] == sessions.SESSION_EXPIRED


def test_channels_auth_middleware_refuses_a_session_whose_auth_hash_is_stale(demo):
    from channels.auth import get_user
    from django.test import Client

    client = Client()
    client.force_login(demo.agent.user)
    key = client.cookies["sessionid"].value
    assert async_to_sync(get_user)({"session": _session_store(key)}).pk == demo.agent.user_id
    user = demo.agent.user
    user.set_password("another-password-2")
    user.save()
    assert not async_to_sync(get_user)({"session": _session_store(key)}).is_authenticated


# ---- membership -----------------------------------------------------------------------------------


def test_removing_a_member_closes_their_socket_forwards_nothing_more_and_refuses_reconnecting(
    server_url, demo, other
):
    Membership.objects.create(workspace=other.workspace, user=demo.agent.user, role="agent")
    agent = Visitor(server_url).with_session(demo.agent)
    here, there = agent.open_socket(demo.slug), agent.open_socket(other.slug)
    colleague = Visitor(server_url).with_session(demo.agent2).open_socket(demo.slug)

    started = time.monotonic()
    with transaction.atomic():
        Membership.objects.filter(pk=demo.agent.pk).delete()
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.MEMBERSHIP_REMOVED)
    _probe(demo.workspace, "after removal")  # queued behind the revocation: never forwarded
    closed = closed_within(here, 1.0, started=started)
    assert closed.code == sessions.CLOSE_NOT_MEMBER
    assert closed.names == ["session.ended"]
    assert closed.events[0]["payload"]["reason"] == sessions.MEMBERSHIP_REMOVED
    assert closed.events[0]["payload"]["link_url"] == "/"
    assert _probe_reaches(colleague, "after removal")  # it was published, to members only

    assert refused_status(agent, demo.slug) == 403
    assert stays_open(there, 0.3)  # the person's other workspace is untouched
    _probe(other.workspace, "other workspace")
    assert _probe_reaches(there, "other workspace")


def test_a_role_change_closes_the_socket_and_the_reconnection_works(server_url, demo, other):
    Membership.objects.create(workspace=other.workspace, user=demo.agent.user, role="agent")
    agent = Visitor(server_url).with_session(demo.agent)
    socket, there = agent.open_socket(demo.slug), agent.open_socket(other.slug)

    started = time.monotonic()
    with transaction.atomic():
        Membership.objects.filter(pk=demo.agent.pk).update(role="supervisor")
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.ROLE_CHANGED)
    closed = closed_within(socket, 1.0, started=started)
    assert closed.code == sessions.CLOSE_RECONNECT and closed.names == []

    again = agent.open_socket(demo.slug)
    _probe(demo.workspace, "as supervisor")
    assert _probe_reaches(again, "as supervisor")
    assert stays_open(there, 0.3)


# ---- what revoking does not touch -----------------------------------------------------------------


def test_a_revocation_in_a_rolled_back_transaction_closes_nothing(server_url, demo):
    socket = Visitor(server_url).with_session(demo.agent).open_socket(demo.slug)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        sessions.revoke_user_sockets(user_id=demo.agent.user_id, reason=sessions.SIGNED_OUT)
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.MEMBERSHIP_REMOVED)
        raise RuntimeError("rolled back")
    assert stays_open(socket, 0.5)
    _probe(demo.workspace, "still live")
    assert _probe_reaches(socket, "still live")


def test_the_widget_visitor_socket_is_not_closed_by_agents_revocations(server_url, demo, monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)
    monkeypatch.setattr(tasks.download_attachments, "delay", lambda *a: None)
    channel = f.make_channel(demo.workspace, "webchat", config={"allowed_origins": [SHOP]})
    http = requests.Session()
    http.trust_env = False
    token = http.post(f"{server_url}/widget/{channel.uuid}/session/", headers={"origin": SHOP},
                      timeout=10).json()["token"]
    posted = http.post(f"{server_url}/widget/{channel.uuid}/messages/", data={"text": "Hello"},
                       headers={"origin": SHOP, "authorization": f"Bearer {token}"}, timeout=10)
    assert posted.status_code == 201, posted.text
    visitor = connect(server_url.replace("http://", "ws://") + f"/ws/widget/{channel.uuid}/?token={token}",
                      origin=SHOP, proxy=None, open_timeout=5, legacy=True)
    assert receive(visitor)["payload"] == {"subscribed": True}
    agent_socket = Visitor(server_url).with_session(demo.agent).open_socket(demo.slug)

    sessions.revoke_user_sockets(user_id=demo.agent.user_id, reason=sessions.SIGNED_OUT)
    assert closed_within(agent_socket, 1.0).code == sessions.CLOSE_SESSION_ENDED
    assert stays_open(visitor, 0.3)

    contact_id = webchat.visitor_contact_id(channel, webchat.read_token(token, channel).visitor_id)
    conversation = Conversation.objects.for_workspace(demo.workspace).get(contact_id=contact_id)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent2, body="Hi!")
    delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    pushed = receive(visitor)
    assert pushed["event"] == "message" and pushed["payload"]["text"] == "Hi!"
    visitor.close()


def test_revoking_with_an_unknown_reason_is_a_programming_error(db):
    with pytest.raises(ValueError):
        sessions.revoke_user_sockets(user_id=1, reason="bored")
    with pytest.raises(ValueError):
        sessions.revoke_membership_sockets(user_id=1, workspace_id=1, reason=sessions.SIGNED_OUT)
    with pytest.raises(ValueError):
        sessions.revoke_session_sockets(session_key="k", reason=sessions.ROLE_CHANGED)


def test_the_password_change_form_closes_the_other_browsers_socket_and_keeps_this_ones(
    server_url, demo
):
    here = Visitor(server_url).sign_in(demo.agent)
    there = Visitor(server_url).sign_in(demo.agent)
    kept, other = here.open_socket(demo.slug), there.open_socket(demo.slug)

    started = time.monotonic()
    response = here.post("/account/password/", {"old_password": PASSWORD, "new_password1": "Sturdy-new-pass-42",
                                                "new_password2": "Sturdy-new-pass-42"})
    assert response.status_code == 302, response.text[:500]
    closed = closed_within(other, 1.0, started=started)
    assert closed.code == sessions.CLOSE_SESSION_ENDED
    assert closed.events[0]["payload"]["reason"] == sessions.PASSWORD_CHANGED
    assert stays_open(kept, 0.3)
    _probe(demo.workspace, "kept")
    assert _probe_reaches(kept, "kept")
    assert refused_status(there, demo.slug) == 403
    here.open_socket(demo.slug).close()  # this browser's renewed cookie still opens sockets
    started = time.monotonic()
    assert here.post("/logout/").status_code == 302
    assert closed_within(kept, 1.0, started=started).code == sessions.CLOSE_SESSION_ENDED
