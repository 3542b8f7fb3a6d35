import pytest
from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactIdentity
from inbox.models import Conversation, Message
from inbox.services.closing import conversation_close
from tests import factories as f
from tests.inbox.helpers import inbound


@pytest.fixture
def channel(demo):
    return f.make_channel(demo.workspace, "api")


def test_new_contact_gets_an_open_unassigned_conversation(demo, channel):
    result = inbound(demo.workspace, channel, contact="ext-9", name="Ana", phone="+34600000000")
    conversation = result.conversation
    assert result.opened
    assert conversation.status == "open" and conversation.assignee_id is None
    assert conversation.contact.name == "Ana" and conversation.contact.phone == "+34600000000"
    assert ContactIdentity.objects.get(channel=channel, external_id="ext-9").contact == conversation.contact
    conversation.refresh_from_db()
    assert conversation.unread_count == 1 and conversation.last_message_preview == "Hola"


def test_next_message_joins_the_open_conversation(demo, channel):
    first = inbound(demo.workspace, channel, msg="m-1")
    second = inbound(demo.workspace, channel, msg="m-2", text="¿Hay alguien?")
    assert second.conversation.pk == first.conversation.pk and not second.opened
    first.conversation.refresh_from_db()
    assert first.conversation.unread_count == 2
    assert first.conversation.last_message_preview == "¿Hay alguien?"


def test_same_external_id_is_stored_once(demo, channel):
    inbound(demo.workspace, channel, msg="m-1")
    again = inbound(demo.workspace, channel, msg="m-1")
    assert again.duplicate
    assert Message.objects.filter(channel=channel, external_id="m-1").count() == 1


def test_message_after_closing_opens_a_new_unassigned_conversation(demo, channel):
    first = inbound(demo.workspace, channel, msg="m-1")
    conversation_close(workspace=demo.workspace, conversation_id=first.conversation.pk,
                       category=f.make_category(demo.workspace), summary="Done", actor=demo.agent)
    later = inbound(demo.workspace, channel, msg="m-2")
    assert later.opened and later.conversation.pk != first.conversation.pk
    assert later.conversation.assignee_id is None
    assert Contact.objects.for_workspace(demo.workspace).count() == 1


def test_control_characters_are_dropped_from_stored_text(demo, channel):
    result = inbound(demo.workspace, channel, text="Hi\x00 there\x07\nline two", name="Ev\x00il\nName")
    assert result.message.body == "Hi there\nline two"
    assert result.conversation.contact.name == "Evil Name"


def test_database_allows_only_one_open_conversation_per_contact(demo, channel):
    result = inbound(demo.workspace, channel)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(workspace=demo.workspace, contact=result.conversation.contact, channel=channel,
                                    opened_at=result.conversation.opened_at,
                                    last_activity_at=result.conversation.opened_at)


def test_known_contact_keeps_its_name_but_blanks_are_filled(demo, channel):
    inbound(demo.workspace, channel, msg="m-1", name="Ana")
    inbound(demo.workspace, channel, msg="m-2", name="Somebody Else", email="ana@example.com")
    contact = Contact.objects.for_workspace(demo.workspace).get()
    assert contact.name == "Ana" and contact.email == "ana@example.com"


def test_same_external_contact_id_in_another_workspace_is_another_contact(demo, other, channel):
    other_channel = f.make_channel(other.workspace, "api")
    a = inbound(demo.workspace, channel, contact="same")
    b = inbound(other.workspace, other_channel, contact="same")
    assert a.conversation.contact_id != b.conversation.contact_id
    assert b.conversation.workspace_id == other.workspace.pk


@pytest.mark.services
def test_new_message_from_a_new_contact_takes_at_most_four_statements(demo, channel, django_assert_max_num_queries):
    inbound(demo.workspace, channel, contact="warm", msg="warm")  # caches (content types…) warmed
    with django_assert_max_num_queries(4):
        result = inbound(demo.workspace, channel, contact="brand-new", msg="m-budget", name="Zoe")
    assert result.opened and result.conversation.contact.name == "Zoe"
    with django_assert_max_num_queries(4):
        again = inbound(demo.workspace, channel, contact="brand-new", msg="m-budget-2")
    assert not again.opened and again.conversation.pk == result.conversation.pk
    with django_assert_max_num_queries(4):
        assert inbound(demo.workspace, channel, contact="brand-new", msg="m-budget-2").duplicate
