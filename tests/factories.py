"""Small factories for tests: explicit, no magic."""

from __future__ import annotations

import itertools

from django.utils import timezone

from contacts.models import Contact, ContactIdentity
from inbox.models import Channel, ClosingCategory, Conversation, Message
from workspaces.models import Membership, User, Workspace

PASSWORD = "parley-test-pw-1"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, display_name: str = "", **extra) -> User:
    n = next(_seq)
    return User.objects.create_user(email or f"user{n}@example.test", PASSWORD, display_name=display_name, **extra)


def make_workspace(name: str = "Acme", slug: str | None = None) -> Workspace:
    return Workspace.objects.create(name=name, slug=slug or f"{name.lower()}-{next(_seq)}")


def make_member(workspace: Workspace, role: str = "agent", *, email: str | None = None,
                display_name: str = "") -> Membership:
    user = make_user(email, display_name=display_name or f"{role.title()} {next(_seq)}")
    return Membership.objects.create(workspace=workspace, user=user, role=role)


def make_channel(workspace: Workspace, kind: str = "api", **fields) -> Channel:
    fields.setdefault("name", f"{kind} channel {next(_seq)}")
    return Channel.objects.create(workspace=workspace, kind=kind, **fields)


def make_contact(workspace: Workspace, channel: Channel | None = None, *, name: str = "Ana García",
                 external_id: str | None = None, **fields) -> Contact:
    contact = Contact.objects.create(workspace=workspace, name=name, **fields)
    if channel is not None:
        ContactIdentity.objects.create(
            workspace=workspace, contact=contact, channel=channel, external_id=external_id or f"ext-{next(_seq)}"
        )
    return contact


def make_conversation(workspace: Workspace, *, channel: Channel | None = None, contact: Contact | None = None,
                      assignee: Membership | None = None, status: str = "open", text: str = "Hola") -> Conversation:
    channel = channel or make_channel(workspace)
    contact = contact or make_contact(workspace, channel)
    now = timezone.now()
    conversation = Conversation.objects.create(
        workspace=workspace, contact=contact, channel=channel, assignee=assignee, status=status,
        opened_at=now, last_activity_at=now, last_message_preview=text[:140], unread_count=1,
        closed_at=now if status == "closed" else None,
    )
    Message.objects.create(
        workspace=workspace, conversation=conversation, channel=channel, direction="in", kind="text",
        sender_type="contact", body=text, status="received", external_id=f"m-{next(_seq)}", created_at=now,
    )
    return conversation


def make_category(workspace: Workspace, name: str = "Resolved") -> ClosingCategory:
    return ClosingCategory.objects.get_or_create(workspace=workspace, name=name)[0]
