"""The conversation's log (ConversationEvent) written by the services, its lines in the history, and the
live-push listeners: one numbered frame per domain event, read back from the live journal."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from contacts.services.profiles import contact_fill_from_channel
from inbox.models import Conversation, ConversationEvent, Message
from inbox.services import downloads, receiving
from inbox.services.assignment import conversation_assign
from inbox.services.closing import conversation_close
from inbox.services.replying import add_note, mark_read, send_reply
from realtime import journal
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes.fixtures import fake_graph  # noqa: F401
from tests.inbox.helpers import inbound

HOSTILE = '<img src=x onerror=alert(1)>'


@pytest.fixture
def frames(demo, django_capture_on_commit_callbacks):
    """frames(action) -> the live frames published to the demo workspace while `action` ran and committed."""

    def run(action) -> list[dict]:
        before = journal.current(demo.workspace.pk)
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return journal.replay(demo.workspace.pk, before)

    return run


def log_of(conversation) -> list[ConversationEvent]:
    return list(ConversationEvent.objects.filter(conversation=conversation).order_by("created_at", "id"))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---- the log ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["single statement", "portable"])
def test_the_opening_message_logs_opened_and_the_next_one_logs_nothing(demo, monkeypatch, path):
    if path == "portable":  # the ORM path SQLite takes, on this database
        monkeypatch.setattr(receiving, "connection", SimpleNamespace(vendor="portable"))
    channel = f.make_channel(demo.workspace, "api")
    first = inbound(demo.workspace, channel, msg="m-1")
    inbound(demo.workspace, channel, msg="m-2")
    [opened] = log_of(first.conversation)
    assert (opened.kind, opened.via, opened.actor_id, opened.workspace_id) == ("opened", "contact", None,
                                                                             demo.workspace.pk)
    assert opened.created_at == first.message.created_at


def test_assigning_records_the_actor_and_unassigning_too(demo):
    conversation = f.make_conversation(demo.workspace)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                        actor=demo.admin)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                        actor=demo.admin)  # no change: nothing logged
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=None, actor=demo.agent)
    assigned, unassigned = log_of(conversation)
    assert (assigned.kind, assigned.assignee, assigned.actor, assigned.via) == ("assigned", demo.agent, demo.admin,
                                                                              "member")
    assert (unassigned.kind, unassigned.assignee, unassigned.actor) == ("unassigned", None, demo.agent)


def test_an_actor_from_another_workspace_is_refused_and_nothing_changes(demo, other):
    from inbox.errors import InboxError

    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError):
        conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                            actor=other.admin)
    conversation.refresh_from_db()
    assert conversation.assignee_id is None and log_of(conversation) == []


def test_replying_to_an_unassigned_conversation_logs_the_assignment_on_reply(demo):
    conversation = f.make_conversation(demo.workspace)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hola")
    send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent2, body="Also me")
    [entry] = log_of(conversation)  # the second reply finds it assigned: nothing more
    assert (entry.kind, entry.via, entry.actor, entry.assignee) == ("assigned", "reply", demo.agent, demo.agent)
    assert entry.created_at == message.created_at


def test_closing_logs_who_closed_it_with_the_note(demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    note = conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                              category=f.make_category(demo.workspace, "Resolved"), summary="Done", actor=demo.agent)
    [entry] = log_of(conversation)
    assert (entry.kind, entry.actor, entry.closing_note) == ("closed", demo.agent, note)


# ---- the history -----------------------------------------------------------------------------------


def test_the_history_shows_event_lines_between_messages_in_time_order(demo, client_for):
    channel = f.make_channel(demo.workspace, "api")
    conversation = inbound(demo.workspace, channel, msg="m-1", text="Hola").conversation
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                        actor=demo.admin)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=None, actor=demo.admin)
    send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent2, body="Te ayudo")
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                       category=f.make_category(demo.workspace, "Resolved"), summary="Done", actor=demo.agent2)
    html = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content
    history = text_of(html.decode().split('id="history"', 1)[1])
    expected = ["Opened", "Hola", f"Assigned to {demo.agent.display_name} by {demo.admin.display_name}",
                f"Unassigned by {demo.admin.display_name}", f"Assigned to {demo.agent2.display_name} (on reply)",
                "Te ayudo", f"Closed by {demo.agent2.display_name} · Resolved"]
    positions = [history.index(line) for line in expected]
    assert positions == sorted(positions), history


def test_event_lines_escape_names_and_categories(demo, client_for):
    hostile = f.make_member(demo.workspace, "agent", display_name=HOSTILE)
    conversation = f.make_conversation(demo.workspace)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=hostile, actor=hostile)
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                       category=f.make_category(demo.workspace, HOSTILE), summary="Done", actor=hostile)
    html = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content
    html = html.decode()
    assert HOSTILE not in html
    assert "Assigned to &lt;img src=x onerror=alert(1)&gt; by &lt;img" in html


@pytest.mark.parametrize("n", [2, 40])
def test_the_conversation_page_costs_the_same_queries_however_long_its_log(demo, client_for,
                                                                         django_assert_max_num_queries, n):
    conversation = f.make_conversation(demo.workspace)
    people = [demo.agent, demo.agent2, demo.admin]
    for i in range(n):
        conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=people[i % 3],
                            actor=people[(i + 1) % 3])
    client = client_for(demo.agent)
    url = reverse("inbox:conversation", args=[demo.slug, conversation.pk])
    client.get(url)  # clears the unread marker once
    with django_assert_max_num_queries(8):
        html = client.get(url).content.decode()
    assert html.count('class="event-line"') == n


def test_the_history_keeps_the_event_lines_of_the_messages_it_shows(demo, client_for, monkeypatch):
    from inbox import selectors

    conversation = f.make_conversation(demo.workspace, text="oldest")
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                        actor=demo.admin)
    for i in range(3):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body=f"r{i}")
    items = selectors.conversation_history(workspace=demo.workspace, conversation=conversation, limit=2)
    assert [getattr(item, "body", "log") for item in items] == ["r1", "r2"]  # the assignment came before r1


# ---- live pushes: one numbered frame per event ----------------------------------------------------


def test_an_inbound_message_is_one_frame_with_its_queue_row(demo, frames):
    channel = f.make_channel(demo.workspace, "api")
    [frame] = frames(lambda: inbound(demo.workspace, channel, contact="c-1", msg="m-1", text="Hola <b>", name="Ana"))
    assert frame["event"] == "message.created" and isinstance(frame["seq"], int)
    payload = frame["payload"]
    assert "Hola &lt;b&gt;" in payload["html"]
    row = payload["conversation"]
    assert (row["status"], row["assignee_id"], row["contact_name"]) == ("open", None, "Ana")
    assert row["counts"]["unassigned"] == 1  # a new conversation changes the tab counts
    [second] = frames(lambda: inbound(demo.workspace, channel, contact="c-1", msg="m-2", text="¿Hola?", name="Ana"))
    assert second["seq"] > frame["seq"] and second["payload"]["conversation"]["counts"] is None


def test_a_reply_pushes_the_assignment_line_then_the_message(demo, frames):
    conversation = f.make_conversation(demo.workspace)
    assigned, created = frames(lambda: send_reply(workspace=demo.workspace, conversation_id=conversation.pk,
                                                  member=demo.agent, body="Hola"))
    assert assigned["event"] == "conversation.assigned" and assigned["payload"]["assignee_id"] == demo.agent.pk
    assert text_of(assigned["payload"]["log_html"]).startswith(f"Assigned to {demo.agent.display_name} (on reply)")
    assert created["event"] == "message.created" and created["payload"]["status"] == "queued"
    assert created["payload"]["conversation"]["assignee_name"] == demo.agent.display_name
    assert created["seq"] == assigned["seq"] + 1


def test_manual_assignment_and_closing_push_their_event_lines(demo, frames):
    conversation = f.make_conversation(demo.workspace)
    [assigned] = frames(lambda: conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk,
                                                    assignee=demo.agent2, actor=demo.admin))
    assert assigned["event"] == "conversation.assigned"
    assert assigned["payload"]["assignee_name"] == demo.agent2.display_name
    assert text_of(assigned["payload"]["log_html"]).startswith(
        f"Assigned to {demo.agent2.display_name} by {demo.admin.display_name}")
    category = f.make_category(demo.workspace, "Resolved")
    [closed] = frames(lambda: conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                                                 category=category, summary="Done", actor=demo.admin))
    assert closed["event"] == "conversation.closed" and closed["payload"]["status"] == "closed"
    assert text_of(closed["payload"]["log_html"]).startswith(f"Closed by {demo.admin.display_name} · Resolved")
    assert closed["payload"]["counts"]["all"] == 0


def test_unassigning_is_its_own_frame(demo, frames):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    [frame] = frames(lambda: conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk,
                                                 assignee=None, actor=demo.agent))
    assert frame["event"] == "conversation.unassigned" and frame["payload"]["assignee_id"] is None


def test_notes_reads_and_receipts_each_push_one_frame(demo, frames):
    channel = f.make_channel(demo.workspace, "api")
    conversation = f.make_conversation(demo.workspace, channel=channel)
    [note] = frames(lambda: add_note(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                                     body="Internal"))
    assert note["event"] == "message.created" and "Internal note" in note["payload"]["html"]
    [read] = frames(lambda: mark_read(workspace=demo.workspace, conversation_id=conversation.pk))
    assert (read["event"], read["payload"]["unread"], read["payload"]["counts"]) == ("conversation.updated", 0, None)
    sent = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                  direction="out", sender_type="member", sender=demo.agent, body="Hi",
                                  status="sent", external_id="out-1", created_at=conversation.opened_at)
    from connectors.base import StatusReceipt

    [status] = frames(lambda: receiving.receive_status(workspace=demo.workspace, channel=channel,
                                                      receipt=StatusReceipt(external_message_id="out-1",
                                                                            status="failed", reason="Blocked")))
    assert status["event"] == "message.updated" and status["payload"]["message_id"] == sent.pk
    assert status["payload"]["status"] == "failed" and "Blocked" in status["payload"]["html"]


def test_retrying_a_failed_message_pushes_it_back_to_queued(demo, frames):
    from inbox.services.delivery import retry_failed

    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    failed = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=conversation.channel,
                                    direction="out", sender_type="member", sender=demo.agent, body="Hi",
                                    status="failed", failure_reason="Down", created_at=conversation.opened_at)
    [frame] = frames(lambda: retry_failed(workspace=demo.workspace, message_id=failed.pk))
    assert (frame["event"], frame["payload"]["message_id"], frame["payload"]["status"]) == (
        "message.updated", failed.pk, "queued")
    assert "conversation" not in frame["payload"]  # the queue row did not move


def test_nothing_is_pushed_when_the_change_rolls_back(demo, django_capture_on_commit_callbacks):
    from django.db import transaction

    conversation = f.make_conversation(demo.workspace)
    before = journal.current(demo.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                            actor=demo.agent)
        raise RuntimeError("the request failed after assigning")
    assert journal.current(demo.workspace.pk) == before
    assert not ConversationEvent.objects.filter(conversation=conversation).exists()


# ---- the re-push after a download or a profile fetch (was: "(downloading…)" and a nameless contact) ----


@pytest.fixture
def messenger(demo):
    return f.make_channel(demo.workspace, "messenger", config={
        "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})


def _post_messenger(client, channel, payload) -> None:
    body = json.dumps(payload).encode()
    response = client.post(f"/hooks/messenger/{channel.uuid}/", data=body, content_type="application/json",
                           headers={"X-Hub-Signature-256": g.sign(body)})
    assert response.status_code == 200, response.content


def test_a_downloaded_attachment_is_pushed_again_with_its_file(demo, client, messenger, fake_graph, frames):  # noqa: F811
    fake_graph.add_media("cdn-file", b"%PDF-1.4 receipt", "application/pdf")
    fake_graph.tokens.add("")  # a CDN link needs no token
    url = f"{fake_graph.url}/media-download/cdn-file"
    [created] = frames(lambda: _post_messenger(client, messenger, g.ms_payload(g.ms_message(
        attachments=[g.ms_attachment("file", url)]))))
    assert "(downloading…)" in created["payload"]["html"]
    message = Message.objects.get(channel=messenger)
    [updated] = frames(lambda: downloads.download_attachments(workspace=demo.workspace, message_id=message.pk))
    assert updated["event"] == "message.updated" and updated["payload"]["message_id"] == message.pk
    attachment = message.attachments.get()
    assert "(downloading…)" not in updated["payload"]["html"]
    assert reverse("inbox:attachment", args=[demo.slug, attachment.pk]) in updated["payload"]["html"]


def test_a_failed_download_pushes_nothing_new(demo, messenger, frames):
    conversation = f.make_conversation(demo.workspace, channel=messenger)
    message = conversation.messages.get()
    message.attachments.create(workspace=demo.workspace, name="gone.pdf", source_url="http://127.0.0.1:9/gone.pdf")
    assert frames(lambda: downloads.download_attachments(workspace=demo.workspace, message_id=message.pk)) == []


def test_a_contact_named_by_the_profile_api_is_pushed_to_its_row_and_header(demo, client, messenger, fake_graph,  # noqa: F811
                                                                           frames):
    [created] = frames(lambda: _post_messenger(client, messenger, g.ms_payload(g.ms_message(text="hello"))))
    conversation = Conversation.objects.get(channel=messenger)
    assert created["payload"]["conversation"]["contact_name"] != "Lucía Pérez"
    [updated] = frames(lambda: contact_fill_from_channel(workspace=demo.workspace, contact_id=conversation.contact_id,
                                                         channel_id=messenger.pk))
    assert updated["event"] == "conversation.updated"
    assert updated["payload"]["conversation_id"] == conversation.pk
    assert updated["payload"]["contact_name"] == "Lucía Pérez" and "Lucía Pérez" in updated["payload"]["row_html"]
    # Asked again, the contact has a name already: no lookup, no push.
    assert frames(lambda: contact_fill_from_channel(workspace=demo.workspace, contact_id=conversation.contact_id,
                                                    channel_id=messenger.pk)) == []
