"""The demo data behind `make run`: idempotent, complete, and refused outside DEBUG."""

import pytest
from django.core.management import CommandError, call_command

from contacts.models import Contact
from demo.seed import DEMO_PASSWORD
from inbox.models import Channel, ClosingNote, Conversation
from workspaces.models import Membership, User, Workspace


@pytest.fixture
def debug(settings, monkeypatch):
    settings.DEBUG = True
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)  # no broker needed here


def test_seeding_twice_creates_everything_once(db, debug):
    call_command("seed_demo")
    counts = (User.objects.count(), Contact.objects.count(), Conversation.objects.count(), Channel.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Contact.objects.count(), Conversation.objects.count(),
            Channel.objects.count()) == counts


def test_demo_has_the_documented_logins_roles_and_conversations(db, debug):
    call_command("seed_demo")
    demo = Workspace.objects.get(slug="demo")
    roles = dict(Membership.objects.for_workspace(demo).values_list("user__email", "role"))
    assert roles == {"admin@demo.test": "admin", "supervisor@demo.test": "supervisor",
                     "agent1@demo.test": "agent", "agent2@demo.test": "agent"}
    names = set(User.objects.values_list("display_name", flat=True))
    assert {"Admin Demo", "Supervisor Demo", "Agent One", "Agent Two", "Owner Other"} <= names
    assert User.objects.get(email="owner@other.test").check_password(DEMO_PASSWORD)
    conversations = Conversation.objects.for_workspace(demo)
    assert conversations.filter(status="open", assignee__isnull=True).exists()
    assert conversations.filter(status="open", assignee__isnull=False).exists()
    assert ClosingNote.objects.for_workspace(demo).exists()
    assert Channel.objects.for_workspace(demo).filter(kind="api").exists()
    assert Contact.objects.for_workspace(demo).count() == 12
    other = Workspace.objects.get(slug="other")
    assert Conversation.objects.for_workspace(other).exists()


def test_seeding_is_refused_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.filter(email="admin@demo.test").exists()
