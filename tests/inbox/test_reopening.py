"""Reopening a closed conversation: back in the queue unassigned, logged, pushed; refused while the contact has
another open conversation; closing it again keeps one note, the latest."""

from __future__ import annotations

import pytest

from inbox.errors import InboxError
from inbox.models import ClosingNote, Conversation, ConversationEvent
from inbox.services.closing import conversation_close
from inbox.services.reopening import conversation_reopen
from realtime import journal
from tests import factories as f


def closed(team, **kwargs) -> Conversation:
    conversation = f.make_conversation(team.workspace, assignee=team.agent, **kwargs)
    conversation_close(workspace=team.workspace, conversation_id=conversation.pk,
                       category=f.make_category(team.workspace), summary="First close", actor=team.agent)
    return Conversation.objects.get(pk=conversation.pk)


def test_reopening_puts_it_back_in_the_queue_unassigned_and_logs_who(demo):
    conversation = closed(demo)
    reopened = conversation_reopen(workspace=demo.workspace, conversation_id=conversation.pk, actor=demo.supervisor)
    assert (reopened.status, reopened.assignee_id, reopened.closed_at) == ("open", None, None)
    assert reopened.last_activity_at > conversation.closed_at
    entry = ConversationEvent.objects.filter(conversation=conversation).latest("id")
    assert (entry.kind, entry.actor) == ("reopened", demo.supervisor)


def test_a_reopened_conversation_is_pushed_to_the_queue_with_its_line(demo, django_capture_on_commit_callbacks):
    conversation = closed(demo)
    before = journal.current(demo.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reopen(workspace=demo.workspace, conversation_id=conversation.pk, actor=demo.supervisor)
    [frame] = journal.replay(demo.workspace.pk, before)
    payload = frame["payload"]
    assert frame["event"] == "conversation.opened" and payload["status"] == "open"
    assert payload["assignee_id"] is None and payload["counts"] is not None
    assert f'id="conv-row-{conversation.pk}"' in payload["row_html"]
    assert "Reopened by Demo Supervisor" in payload["log_html"]


def test_reopening_is_refused_while_the_contact_has_another_open_conversation(demo):
    conversation = closed(demo)
    newer = f.make_conversation(demo.workspace, channel=conversation.channel, contact=conversation.contact)
    with pytest.raises(InboxError, match=rf"already has an open conversation \(#{newer.pk}\)"):
        conversation_reopen(workspace=demo.workspace, conversation_id=conversation.pk, actor=demo.supervisor)
    assert Conversation.objects.get(pk=conversation.pk).status == "closed"
    assert not ConversationEvent.objects.filter(kind="reopened").exists()


def test_an_open_conversation_or_another_workspaces_cannot_be_reopened(demo, other):
    with pytest.raises(InboxError, match="already open"):
        conversation_reopen(workspace=demo.workspace, conversation_id=f.make_conversation(demo.workspace).pk,
                            actor=demo.supervisor)
    theirs = closed(other)
    with pytest.raises(Conversation.DoesNotExist):
        conversation_reopen(workspace=demo.workspace, conversation_id=theirs.pk, actor=demo.supervisor)
    with pytest.raises(InboxError):
        conversation_reopen(workspace=other.workspace, conversation_id=theirs.pk, actor=demo.supervisor)
    assert Conversation.objects.get(pk=theirs.pk).status == "closed"


def test_closing_a_reopened_conversation_again_keeps_one_note_the_latest(demo):
    conversation = closed(demo)
    conversation_reopen(workspace=demo.workspace, conversation_id=conversation.pk, actor=demo.supervisor)
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                       category=f.make_category(demo.workspace, "Follow-up"), summary="Second close",
                       actor=demo.supervisor)
    [note] = ClosingNote.objects.filter(conversation=conversation)
    assert (note.summary, note.category.name, note.author) == ("Second close", "Follow-up", demo.supervisor)
    kinds = list(ConversationEvent.objects.filter(conversation=conversation).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds[-3:] == ["closed", "reopened", "closed"]
