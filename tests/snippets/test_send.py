"""Sending a reply with a snippet's files: checked on the server, copied into the message, delivered signed."""

from __future__ import annotations

import pytest

from inbox.models import Attachment, Message
from inbox.services import delivery
from snippets.models import Snippet
from tests import factories as f
from tests.inbox.helpers import webhook_receiver

from .helpers import PDF, make_file, make_snippet

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_tasks(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)


def _reply(client, conversation, body="", ids=()):
    return client.post(f"/w/{conversation.workspace.slug}/messages/{conversation.pk}/reply/",
                       {"body": body, "snippet_attachment": [str(i) for i in ids]},
                       headers={"X-Requested-With": "fetch"})


def test_reply_with_a_snippet_file_reaches_the_api_webhook_as_a_signed_url(demo, no_tasks, client_for, client):
    snippet = make_snippet(demo.workspace, "invoice", body="Here is your invoice")
    pdf = make_file(snippet, name="invoice-0042.pdf")
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        response = _reply(client_for(demo.agent), conversation, "Here is your invoice, Ana", [pdf.pk])
        assert response.status_code == 200, response.content
        message = Message.objects.get(conversation=conversation, direction="out")
        assert message.kind == "file" and message.body == "Here is your invoice, Ana"
        copy = message.attachments.get()
        assert copy.name == "invoice-0042.pdf" and copy.content_type == "application/pdf" and copy.size == len(PDF)
        assert copy.file.name != pdf.file.name  # a copy: the snippet's file may change or go later
        assert "invoice-0042.pdf" in response.content.decode()
        delivery.deliver(workspace=demo.workspace, message_id=message.pk)
    payload = receiver.json()["message"]
    assert payload["text"] == "Here is your invoice, Ana" and payload["kind"] == "file"
    [item] = payload["attachments"]
    assert {k: item[k] for k in ("name", "content_type", "size")} == {
        "name": "invoice-0042.pdf", "content_type": "application/pdf", "size": len(PDF)}
    assert item["url"].startswith("http") and "/files/" in item["url"]
    client.logout()
    fetched = client.get("/" + item["url"].split("://", 1)[1].split("/", 1)[1])  # no session: signed link
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == PDF
    snippet.delete()
    with copy.file.open("rb") as fh:
        assert fh.read() == PDF


def test_a_snippet_file_alone_is_a_message(demo, no_tasks, client_for):
    pdf = make_file(make_snippet(demo.workspace, "invoice"))
    conversation = f.make_conversation(demo.workspace)
    assert _reply(client_for(demo.agent), conversation, "", [pdf.pk, pdf.pk]).status_code == 200
    assert Attachment.objects.filter(message__conversation=conversation).count() == 1


def test_own_personal_snippet_file_is_accepted(demo, no_tasks, client_for):
    pdf = make_file(make_snippet(demo.workspace, "mine", owner=demo.agent))
    conversation = f.make_conversation(demo.workspace)
    assert _reply(client_for(demo.agent), conversation, "Mine", [pdf.pk]).status_code == 200


@pytest.mark.parametrize("whose", ["other_workspace", "other_member", "missing", "garbage"])
def test_files_the_member_may_not_use_are_refused_and_nothing_is_sent(demo, other, no_tasks, client_for, whose):
    ids = {
        "other_workspace": lambda: [make_file(make_snippet(other.workspace, "invoice")).pk],
        "other_member": lambda: [make_file(make_snippet(demo.workspace, "theirs", owner=demo.agent2)).pk],
        "missing": lambda: [987654],
        "garbage": lambda: ["1 OR 1=1"],
    }[whose]()
    mine = make_file(make_snippet(demo.workspace, "invoice"))
    conversation = f.make_conversation(demo.workspace)
    response = _reply(client_for(demo.agent), conversation, "Hi", [mine.pk, *ids])
    assert response.status_code == 400
    assert response.content.decode() == "That snippet file is not available."
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_a_file_the_channel_refuses_is_refused_with_its_reason(demo, no_tasks, client_for, monkeypatch):
    from connectors import registry
    from connectors.base import Capabilities

    monkeypatch.setattr(registry.get("api"), "capabilities", Capabilities(max_file_bytes=100))
    pdf = make_file(make_snippet(demo.workspace, "invoice"))
    conversation = f.make_conversation(demo.workspace)
    response = _reply(client_for(demo.agent), conversation, "Hi", [pdf.pk])
    assert response.status_code == 400 and "too large for this channel" in response.content.decode()


def test_ensure_demo_snippets_is_idempotent(demo):
    from snippets.services import ensure_demo_snippets

    first = ensure_demo_snippets(demo.workspace)
    again = ensure_demo_snippets(demo.workspace)
    assert [s.pk for s in first] == [s.pk for s in again]
    assert sorted(Snippet.objects.for_workspace(demo.workspace).values_list("shortcut", flat=True)) == [
        "hello", "invoice"]
    [pdf] = again[1].attachments.all()
    assert pdf.content_type == "application/pdf" and pdf.size > 300
    with pdf.file.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert again[0].body == ("Hi {{contact.first_name}}, I'm {{agent.first_name}} from {{workspace.name}}. "
                             "How can I help?")
