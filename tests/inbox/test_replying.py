import threading

import pytest
from django.db import close_old_connections

from inbox.errors import InboxError
from inbox.models import Conversation, Message
from inbox.services.closing import conversation_close
from inbox.services.replying import add_note, send_reply
from kernel.models import Job
from tests import factories as f


def test_reply_assigns_unassigned_conversation(demo):
    conversation = f.make_conversation(demo.workspace)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hola!")
    conversation.refresh_from_db()
    assert conversation.assignee == demo.agent
    assert message.status == "queued" and message.direction == "out" and message.sender == demo.agent
    assert conversation.unread_count == 0 and conversation.last_message_preview == "Hola!"


def test_reply_keeps_an_existing_assignee(demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent2)
    send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="I can help")
    conversation.refresh_from_db()
    assert conversation.assignee == demo.agent2


def test_empty_reply_is_refused(demo):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="  \n ")
    assert not Message.objects.filter(direction="out").exists()


def test_overlong_reply_is_refused_with_the_limit_named(demo):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError, match="4096"):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="x" * 5000)


def test_reply_to_closed_conversation_is_refused(demo):
    conversation = f.make_conversation(demo.workspace)
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                       category=f.make_category(demo.workspace), summary="Done", actor=demo.agent)
    with pytest.raises(InboxError):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hi")


def relayed_deliveries(monkeypatch) -> list:
    """The delivery jobs handed to the relay (kernel.jobs: a Job row in the transaction, published after commit)."""
    from kernel import relay

    calls: list = []
    monkeypatch.setattr(relay, "submit", lambda *jobs: calls.extend(
        job.args for job in jobs if job.task == "inbox.tasks.deliver_message"))
    return calls


def test_reply_schedules_delivery_after_commit(demo, django_capture_on_commit_callbacks, monkeypatch):
    calls = relayed_deliveries(monkeypatch)
    conversation = f.make_conversation(demo.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hi")
        job = Job.objects.get(task="inbox.tasks.deliver_message")  # written with the reply, in its transaction
        assert job.args == [demo.workspace.pk, message.pk] and calls == []
    assert calls == [(demo.workspace.pk, message.pk)]


def test_internal_note_is_never_delivered_and_does_not_assign(demo, django_capture_on_commit_callbacks, monkeypatch):
    calls = relayed_deliveries(monkeypatch)
    conversation = f.make_conversation(demo.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="VIP!")
    conversation.refresh_from_db()
    assert note.kind == "note" and calls == [] and conversation.assignee_id is None
    assert not Job.objects.filter(task="inbox.tasks.deliver_message").exists()


def test_member_of_another_workspace_cannot_reply(demo, other):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=other.agent, body="Hi")


def test_reply_to_another_workspaces_conversation_is_not_found(demo, other):
    conversation = f.make_conversation(other.workspace)
    with pytest.raises(Conversation.DoesNotExist):
        send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="Hi")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_agents_replying_at_once_get_one_assignee(demo, monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)
    conversation = f.make_conversation(demo.workspace)
    barrier = threading.Barrier(2)
    errors = []

    def reply(member):
        try:
            barrier.wait(timeout=5)
            send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=member, body=member.user.email)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=reply, args=(m,)) for m in (demo.agent, demo.agent2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    conversation.refresh_from_db()
    replies = list(Message.objects.filter(conversation=conversation, direction="out").order_by("id"))
    assert len(replies) == 2
    # The first reply to commit won the assignment; the second found it assigned and kept it.
    assert conversation.assignee_id == replies[0].sender_id
