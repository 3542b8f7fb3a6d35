import pytest

from inbox.errors import InboxError
from inbox.models import ClosingNote
from inbox.selectors import queue
from inbox.services.assignment import conversation_assign
from inbox.services.closing import conversation_close
from tests import factories as f


def test_any_member_can_assign_and_unassign(demo):
    conversation = f.make_conversation(demo.workspace)
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent2,
                        actor=demo.agent)
    conversation.refresh_from_db()
    assert conversation.assignee == demo.agent2
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=None, actor=demo.agent)
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assigning_to_a_non_member_is_a_clear_error(demo, other):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError, match="not a member"):
        conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=other.agent,
                            actor=demo.agent)


def test_closed_conversation_cannot_be_assigned(demo):
    conversation = f.make_conversation(demo.workspace, status="closed")
    with pytest.raises(InboxError):
        conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent,
                            actor=demo.agent)


def test_closing_requires_category_and_summary(demo):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError):
        conversation_close(workspace=demo.workspace, conversation_id=conversation.pk, category=None,
                           summary="Done", actor=demo.agent)
    with pytest.raises(InboxError):
        conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                           category=f.make_category(demo.workspace), summary="   ", actor=demo.agent)
    conversation.refresh_from_db()
    assert conversation.status == "open" and not ClosingNote.objects.exists()


def test_closing_unassigns_and_removes_from_every_queue(demo):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)
    note = conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                              category=f.make_category(demo.workspace, "Sale"), summary="Sold 2 seats",
                              actor=demo.agent)
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.assignee is None and conversation.closed_at
    assert note.category.name == "Sale" and note.author == demo.agent and note.summary == "Sold 2 seats"
    for tab in ("mine", "unassigned", "all"):
        assert queue(workspace=demo.workspace, member=demo.agent, tab=tab).rows == []


def test_closing_twice_is_an_error_not_a_second_note(demo):
    conversation = f.make_conversation(demo.workspace)
    category = f.make_category(demo.workspace)
    conversation_close(workspace=demo.workspace, conversation_id=conversation.pk, category=category,
                       summary="Done", actor=demo.agent)
    with pytest.raises(InboxError, match="already closed"):
        conversation_close(workspace=demo.workspace, conversation_id=conversation.pk, category=category,
                           summary="Again", actor=demo.agent)
    assert ClosingNote.objects.count() == 1


def test_category_of_another_workspace_is_refused(demo, other):
    conversation = f.make_conversation(demo.workspace)
    with pytest.raises(InboxError):
        conversation_close(workspace=demo.workspace, conversation_id=conversation.pk,
                           category=f.make_category(other.workspace), summary="Done", actor=demo.agent)


def test_queue_tabs_filter_and_order_by_newest_activity(demo):
    mine = f.make_conversation(demo.workspace, assignee=demo.agent)
    theirs = f.make_conversation(demo.workspace, assignee=demo.agent2)
    unassigned = f.make_conversation(demo.workspace)
    ids = lambda tab: [c.pk for c in queue(workspace=demo.workspace, member=demo.agent, tab=tab).rows]  # noqa: E731
    assert ids("mine") == [mine.pk]
    assert ids("unassigned") == [unassigned.pk]
    assert ids("all") == [unassigned.pk, theirs.pk, mine.pk]


def test_queue_pages_with_a_keyset_cursor(demo):
    made = [f.make_conversation(demo.workspace) for _ in range(5)]
    first = queue(workspace=demo.workspace, member=demo.agent, tab="all", limit=2)
    second = queue(workspace=demo.workspace, member=demo.agent, tab="all", limit=2, cursor=first.next_cursor)
    third = queue(workspace=demo.workspace, member=demo.agent, tab="all", limit=2, cursor=second.next_cursor)
    seen = [c.pk for page in (first, second, third) for c in page.rows]
    assert seen == [c.pk for c in reversed(made)] and third.next_cursor is None
