"""Property-based fuzz of the web chat widget's JSON endpoints (session, messages): never a 5xx, a 4xx stores
nothing, stored text is clean (see tests/inbox/hostile.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox.models import Channel
from tests import factories as f
from tests.inbox.hostile import FUZZ, bodies, check_answer, nasty_text, snapshot, with_raw_bodies
from webchat import services as webchat

SHOP = "https://shop.example"


@pytest.fixture(autouse=True)
def roomy_limits(settings):
    settings.WEBCHAT_SESSIONS_PER_MINUTE = 10**6
    settings.WEBCHAT_MESSAGES_PER_MINUTE = 10**6


@pytest.fixture
def channel(demo) -> Channel:
    return f.make_channel(demo.workspace, "webchat", config={"allowed_origins": [SHOP], "ask_name": True})


session_bodies = st.fixed_dictionaries({"name": nasty_text}, optional={"email": st.just("ana@example.com"),
                                                                       "token": nasty_text})
message_bodies = st.fixed_dictionaries({"text": nasty_text}, optional={"client_id": st.uuids().map(str)})


@FUZZ
@with_raw_bodies()
@given(body=bodies(session_bodies))
def test_session_survives_hostile_json(client, channel, body):
    before = snapshot()
    response = client.post(f"/widget/{channel.uuid}/session/", data=body, content_type="application/json",
                           headers={"origin": SHOP})
    check_answer(response, before)
    if response.status_code in (200, 201):
        assert webchat.read_token(response.json()["token"], channel) is not None


@FUZZ
@with_raw_bodies(visitor="v-one", name="")
@given(body=bodies(message_bodies), visitor=st.sampled_from(["v-one", "v-two"]), name=nasty_text)
def test_messages_survive_hostile_json(client, channel, body, visitor, name):
    # The name goes in raw (a token only our session endpoint signs): storage cleans it once more anyway.
    token = webchat.issue_token(channel, visitor_id=visitor, name=name)
    before = snapshot()
    response = client.post(f"/widget/{channel.uuid}/messages/", data=body, content_type="application/json",
                           headers={"origin": SHOP, "authorization": f"Bearer {token}"})
    check_answer(response, before)
