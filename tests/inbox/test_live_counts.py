"""Tab counts on the inbound push are coalesced per workspace: no counting query per message, and counts that
are never left stale (inbox.live_counts)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from inbox import live_counts
from realtime import journal
from tests import factories as f
from tests.inbox.helpers import inbound, statements

# The publisher thread reads what the webhook committed.
pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = 0.4


@pytest.fixture
def coalescer(monkeypatch):
    fresh = live_counts.Coalescer()
    monkeypatch.setattr(live_counts, "COUNTS_EVERY", WINDOW)
    monkeypatch.setattr(live_counts, "counts_for", fresh.counts_for)
    return fresh


def frames_after(workspace, seq: int) -> list[dict]:
    return journal.replay(workspace.pk, seq)


def wait_for_frames(workspace, seq: int, n: int, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = frames_after(workspace, seq)
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_burst_of_new_conversations_counts_once_then_once_more_after_the_window(demo, coalescer):
    channel = f.make_channel(demo.workspace, "api")
    start = journal.current(demo.workspace.pk)
    inbound(demo.workspace, channel, contact="c-1", msg="m-1", name="Ana")  # counted at once
    with statements() as run:  # each of the others: its statement, no counting query
        inbound(demo.workspace, channel, contact="c-2", msg="m-2", name="Bea")
    assert not any("COUNT(" in sql.upper() for sql in run)
    if connection.vendor == "postgresql":
        assert len(run) == 1
    inbound(demo.workspace, channel, contact="c-3", msg="m-3", name="Carla")
    first, second, third = frames_after(demo.workspace, start)
    assert first["payload"]["conversation"]["counts"] == {"all": 1, "unassigned": 1, "by_assignee": {"": 1}}
    assert second["payload"]["conversation"]["counts"] is None and third["payload"]["conversation"]["counts"] is None
    # Within the window the publisher pushes the last held conversation again, with counts counted then.
    *_, trailing = wait_for_frames(demo.workspace, start, 4)
    assert trailing["event"] == "conversation.updated" and trailing["seq"] == third["seq"] + 1
    payload = trailing["payload"]
    assert payload["conversation_id"] == third["payload"]["conversation_id"] and "Carla" in payload["row_html"]
    assert payload["counts"] == {"all": 3, "unassigned": 3, "by_assignee": {"": 3}}
    time.sleep(WINDOW + 0.2)
    assert len(frames_after(demo.workspace, start)) == 4  # one trailing push, not one per held message


def test_after_a_quiet_window_the_next_one_is_counted_at_once_and_nothing_trails(demo, coalescer):
    channel = f.make_channel(demo.workspace, "api")
    inbound(demo.workspace, channel, contact="c-1", msg="m-1")
    time.sleep(WINDOW + 0.1)
    start = journal.current(demo.workspace.pk)
    inbound(demo.workspace, channel, contact="c-2", msg="m-2", name="Bea")
    [frame] = frames_after(demo.workspace, start)
    assert frame["payload"]["conversation"]["counts"]["all"] == 2
    time.sleep(WINDOW + 0.2)
    assert len(frames_after(demo.workspace, start)) == 1


def test_a_returning_contact_never_asks_for_counts(demo, coalescer):
    channel = f.make_channel(demo.workspace, "api")
    inbound(demo.workspace, channel, contact="c-1", msg="m-1")
    time.sleep(WINDOW + 0.1)
    start = journal.current(demo.workspace.pk)
    inbound(demo.workspace, channel, contact="c-1", msg="m-2")
    [frame] = frames_after(demo.workspace, start)
    assert frame["payload"]["conversation"]["counts"] is None
    inbound(demo.workspace, channel, contact="c-2", msg="m-3")  # the window is still open for the next new one
    assert frames_after(demo.workspace, start)[-1]["payload"]["conversation"]["counts"]["all"] == 2


def test_each_workspace_has_its_own_window_and_its_own_counts(demo, other, coalescer):
    ours, theirs = f.make_channel(demo.workspace, "api"), f.make_channel(other.workspace, "api")
    inbound(demo.workspace, ours, contact="c-1", msg="m-1")
    start = journal.current(other.workspace.pk)
    inbound(other.workspace, theirs, contact="c-1", msg="m-1")  # our window holds nothing of theirs
    [frame] = frames_after(other.workspace, start)
    assert frame["payload"]["conversation"]["counts"]["all"] == 1


def test_assigning_and_closing_still_count_at_once(demo, coalescer):
    from inbox.models import Conversation
    from inbox.services.assignment import conversation_assign

    channel = f.make_channel(demo.workspace, "api")
    inbound(demo.workspace, channel, contact="c-1", msg="m-1")
    conversation = Conversation.objects.get(contact__conversations__channel=channel)
    start = journal.current(demo.workspace.pk)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                        actor=demo.agent)
    [assigned] = frames_after(demo.workspace, start)
    assert assigned["payload"]["counts"]["by_assignee"] == {str(demo.agent.pk): 1}
