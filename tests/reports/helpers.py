"""Closed conversations with a known history (times, assignee, first answer, closing), in one call."""

from __future__ import annotations

from datetime import datetime, timedelta

from inbox.models import ClosingNote, Conversation, ConversationEvent, Message
from tests import factories as f


def closed_conversation(team, *, name: str, closed_at: datetime, category=None, closer=None, assignee=None,
                        opened_at: datetime | None = None, answered_after: timedelta | None = None, channel=None,
                        summary: str = "Solved it.", phone: str = "", email: str = "") -> Conversation:
    ws = team.workspace
    channel = channel or f.make_channel(ws, name=f"{name} channel")
    contact = f.make_contact(ws, channel, name=name, phone=phone, email=email)
    conversation = f.make_conversation(ws, channel=channel, contact=contact, status="closed")
    opened_at = opened_at or closed_at - timedelta(hours=1)
    Conversation.objects.filter(pk=conversation.pk).update(opened_at=opened_at, closed_at=closed_at,
                                                           last_activity_at=closed_at, unread_count=0)
    Message.objects.filter(conversation=conversation).update(created_at=opened_at)
    ConversationEvent.objects.create(workspace=ws, conversation=conversation, kind="opened", via="contact",
                                     created_at=opened_at)
    if assignee is not None:
        ConversationEvent.objects.create(workspace=ws, conversation=conversation, kind="assigned", assignee=assignee,
                                         actor=team.admin, created_at=opened_at + timedelta(seconds=1))
    if answered_after is not None:
        Message.objects.create(workspace=ws, conversation=conversation, channel=channel, direction="out",
                               kind="text", sender_type="member", sender=assignee or closer, body="On it.",
                               status="sent", created_at=opened_at + answered_after)
    note = ClosingNote.objects.create(workspace=ws, conversation=conversation,
                                      category=category or f.make_category(ws), summary=summary,
                                      author=closer or team.agent)
    ClosingNote.objects.filter(pk=note.pk).update(created_at=closed_at)
    ConversationEvent.objects.create(workspace=ws, conversation=conversation, kind="closed", closing_note=note,
                                     actor=closer or team.agent, created_at=closed_at)
    conversation.refresh_from_db()
    return conversation
