import pytest
from django.urls import reverse

from inbox.models import ClosingNote, Message
from tests import factories as f

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def agent_client(client_for, demo):
    return client_for(demo.agent)


def url(name, demo, *args):
    return reverse(f"inbox:{name}", args=[demo.slug, *args])


@pytest.fixture(autouse=True)
def no_delivery(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)


def test_queue_shows_tabs_with_counts_and_rows(agent_client, demo):
    f.make_conversation(demo.workspace, contact=f.make_contact(demo.workspace, name="Zed Mine"), assignee=demo.agent)
    f.make_conversation(demo.workspace, contact=f.make_contact(demo.workspace, name="Yan Free"))
    html = agent_client.get(url("queue", demo)).content.decode()
    for tab in ("Mine", "Unassigned", "All"):
        assert f'data-tab="{tab.lower()}">{tab}' in html
    assert "Zed Mine" in html and "Yan Free" in html
    mine = agent_client.get(url("queue", demo) + "?tab=mine").content.decode()
    assert "Zed Mine" in mine and "Yan Free" not in mine


def test_queue_row_is_a_link_named_by_the_contact(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    html = agent_client.get(url("queue", demo)).content.decode()
    link = f'<a href="{url("conversation", demo, conversation.pk)}">'
    assert link in html
    assert html.split(link, 1)[1].lstrip().startswith('<span class="row-name">Ana García</span>')


@pytest.mark.parametrize("n", [3, 40])
def test_queue_page_query_count_is_constant(agent_client, demo, django_assert_max_num_queries, n):
    for _ in range(n):
        f.make_conversation(demo.workspace, assignee=demo.agent2)
    with django_assert_max_num_queries(8):
        assert agent_client.get(url("queue", demo)).status_code == 200


@pytest.mark.parametrize("n", [2, 30])
def test_conversation_page_query_count_is_constant(agent_client, demo, django_assert_max_num_queries, n):
    conversation = f.make_conversation(demo.workspace)
    for i in range(n):
        Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=conversation.channel,
                               direction="out", sender_type="member", sender=demo.agent2, body=f"r{i}",
                               status="sent", created_at=conversation.opened_at)
    agent_client.get(url("conversation", demo, conversation.pk))  # clears the unread marker once
    with django_assert_max_num_queries(8):
        assert agent_client.get(url("conversation", demo, conversation.pk)).status_code == 200


def test_conversation_page_has_composer_assign_and_close_controls(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    html = agent_client.get(url("conversation", demo, conversation.pk)).content.decode()
    assert 'role="log"' in html and 'aria-label="Conversation history"' in html
    assert 'aria-label="Message"' in html and ">Send</button>" in html
    assert 'aria-label="Assign"' in html and ">Unassigned</option>" in html
    assert "Close conversation</button>" in html
    assert 'id="close-category"' in html and 'for="close-category">Category<' in html
    assert 'for="close-summary">Summary<' in html


def test_opening_a_conversation_clears_its_unread_marker(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    agent_client.get(url("conversation", demo, conversation.pk))
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_reply_assigns_unassigned_conversation_to_the_sender(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("reply", demo, conversation.pk), {"body": "Hola"},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and "Hola" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee == demo.agent


def test_empty_reply_answers_400_with_the_reason(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("reply", demo, conversation.pk), {"body": "   "},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and response.content
    assert not Message.objects.filter(direction="out").exists()


def test_reply_without_javascript_redirects_back(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("reply", demo, conversation.pk), {"body": "Hola"})
    assert response.status_code == 302 and response["Location"] == url("conversation", demo, conversation.pk)


def test_internal_note_is_shown_as_a_note(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    agent_client.post(url("reply", demo, conversation.pk), {"body": "Call back at 5", "note": "1"})
    html = agent_client.get(url("conversation", demo, conversation.pk)).content.decode()
    assert "msg-note" in html and "Call back at 5" in html
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assign_and_unassign_through_the_view(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("assign", demo, conversation.pk), {"assignee": demo.agent2.pk},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.content.decode() == demo.agent2.display_name
    agent_client.post(url("assign", demo, conversation.pk), {"assignee": ""})
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assigning_a_member_of_another_workspace_is_refused(agent_client, demo, other):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("assign", demo, conversation.pk), {"assignee": other.agent.pk},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_close_requires_category_and_summary(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("close", demo, conversation.pk), {"category": "", "summary": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="field-error"') == 2
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_close_with_note_leaves_the_queue(agent_client, demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    category = f.make_category(demo.workspace, "Sale")
    response = agent_client.post(url("close", demo, conversation.pk), {"category": category.pk, "summary": "Sold"})
    assert response.status_code == 302
    note = ClosingNote.objects.get(conversation=conversation)
    assert note.category == category and note.author == demo.agent
    html = agent_client.get(url("queue", demo)).content.decode()
    assert url("conversation", demo, conversation.pk) not in html


def test_closed_conversation_opens_as_a_read_only_transcript(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    agent_client.post(url("close", demo, conversation.pk), {"category": f.make_category(demo.workspace).pk,
                                                             "summary": "Answered"})
    html = agent_client.get(url("conversation", demo, conversation.pk)).content.decode()
    assert "read-only" in html and "Answered" in html
    assert 'id="composer-form"' not in html and 'id="assign-form"' not in html


def test_close_form_page_works_without_javascript(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    html = agent_client.get(url("close", demo, conversation.pk)).content.decode()
    assert 'id="close-form"' in html and 'id="close-form" hidden' not in html


def test_contact_text_and_names_are_escaped(agent_client, demo):
    contact = f.make_contact(demo.workspace, name=HOSTILE)
    conversation = f.make_conversation(demo.workspace, contact=contact, text=HOSTILE)
    for page in (url("queue", demo), url("conversation", demo, conversation.pk)):
        html = agent_client.get(page).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_failed_message_shows_reason_and_retry_button(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    message = Message.objects.create(workspace=demo.workspace, conversation=conversation,
                                     channel=conversation.channel, direction="out", sender_type="member",
                                     sender=demo.agent, body="x", status="failed",
                                     failure_reason="The receiver answered 404", created_at=conversation.opened_at)
    html = agent_client.get(url("conversation", demo, conversation.pk)).content.decode()
    assert "The receiver answered 404" in html and ">Retry</button>" in html
    response = agent_client.post(url("retry", demo, conversation.pk, message.pk))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "queued"


@pytest.mark.parametrize("name", ["conversation", "history", "close"])
def test_another_workspaces_conversation_is_404(agent_client, demo, other, name):
    conversation = f.make_conversation(other.workspace)
    assert agent_client.get(url(name, demo, conversation.pk)).status_code == 404


@pytest.mark.parametrize("name", ["reply", "assign", "close"])
def test_posting_to_another_workspaces_conversation_is_404(agent_client, demo, other, name):
    conversation = f.make_conversation(other.workspace)
    response = agent_client.post(url(name, demo, conversation.pk), {"body": "x", "assignee": ""})
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_history_resync_returns_only_newer_messages(agent_client, demo):
    conversation = f.make_conversation(demo.workspace, text="first")
    first = Message.objects.get(conversation=conversation)
    Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=conversation.channel,
                           direction="in", sender_type="contact", body="second", status="received",
                           created_at=conversation.opened_at)
    html = agent_client.get(url("history", demo, conversation.pk) + f"?after={first.pk}").content.decode()
    assert "second" in html and "first" not in html


def test_internal_note_with_files_is_refused_and_nothing_is_stored(agent_client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("reply", demo, conversation.pk),
                                 {"body": "see file", "note": "1",
                                  "files": SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")},
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and "text only" in response.content.decode()
    assert not Message.objects.filter(kind="note").exists()


def test_marking_a_conversation_read_clears_its_unread_count(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.post(url("read", demo, conversation.pk))
    assert response.status_code == 204
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


# ---- the tab a conversation was opened from stays selected -------------------------------------------


def test_rows_of_a_tab_link_to_the_conversation_with_that_tab(agent_client, demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    html = agent_client.get(url("queue", demo) + "?tab=mine").content.decode()
    link = f'<a href="{url("conversation", demo, conversation.pk)}?tab=mine">'
    assert link in html
    assert html.split(link, 1)[1].lstrip().startswith('<span class="row-name">Ana García</span>')


def test_the_conversation_page_keeps_the_tab_it_was_opened_from(agent_client, demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    response = agent_client.get(url("conversation", demo, conversation.pk) + "?tab=mine")
    html = response.content.decode()
    assert response.context["tab"] == "mine"
    assert 'data-tab="mine"' in html  # what inbox.js filters live rows by
    assert f'?tab=mine&amp;current={conversation.pk}"' in html  # the queue panel loads the Mine tab
    assert f'class="back-link" href="{url("queue", demo)}?tab=mine"' in html
    for name in ("reply", "assign", "close"):  # without JavaScript, every form comes back to the same tab
        assert f'action="{url(name, demo, conversation.pk)}?tab=mine"' in html
    panel = agent_client.get(url("queue_panel", demo) + f"?tab=mine&current={conversation.pk}").content.decode()
    assert 'href="/w/demo/messages/?tab=mine" aria-current="page" data-tab="mine"' in panel
    assert panel.count('aria-current="page" data-tab=') == 1


@pytest.mark.parametrize("tab", ["", "bogus", "<script>", "all"])
def test_an_unknown_or_missing_tab_is_all(agent_client, demo, tab):
    conversation = f.make_conversation(demo.workspace)
    response = agent_client.get(url("conversation", demo, conversation.pk) + f"?tab={tab}")
    assert response.status_code == 200 and response.context["tab"] == "all"
    html = response.content.decode()
    assert f'class="back-link" href="{url("queue", demo)}"' in html
    assert "&lt;script&gt;" not in html and "tab=<script>" not in html
    assert f'action="{url("reply", demo, conversation.pk)}"' in html


def test_replying_assigning_and_closing_without_javascript_keep_the_tab(agent_client, demo):
    conversation = f.make_conversation(demo.workspace)
    reply = agent_client.post(url("reply", demo, conversation.pk) + "?tab=unassigned", {"body": "Hola"})
    assert reply.status_code == 302 and reply.url == url("conversation", demo, conversation.pk) + "?tab=unassigned"
    assign = agent_client.post(url("assign", demo, conversation.pk) + "?tab=mine", {"assignee": demo.agent.pk})
    assert assign.url == url("conversation", demo, conversation.pk) + "?tab=mine"
    category = f.make_category(demo.workspace)
    closed = agent_client.post(url("close", demo, conversation.pk) + "?tab=mine",
                               {"category": category.pk, "summary": "Done"})
    assert closed.status_code == 302 and closed.url == url("queue", demo) + "?tab=mine"
