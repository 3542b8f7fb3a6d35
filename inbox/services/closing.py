"""Closing a conversation with its closing note."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.closing_limits import SUMMARY_MAX_CHARS
from inbox.errors import InboxError
from inbox.models import ClosingCategory, ClosingNote, Conversation, ConversationEvent
from kernel import events as domain
from kernel.dispatch import record
from kernel.text import clean_text
from workspaces.models import Membership, Workspace


@transaction.atomic
def conversation_close(*, workspace: Workspace, conversation_id: int, category: ClosingCategory | None,
                       summary: str, actor: Membership | None, workflow_id: int | None = None,
                       workflow_name: str = "") -> ClosingNote:
    """Close an open conversation with a closing note (category + summary, both required).

    By a member (`actor`) or by a workflow's step (`workflow_id` and its name, for the history's line).

    The conversation is unassigned and leaves every queue; the contact's next message opens a new one.
    Closing an already closed conversation is an error, never a second note. The log records who closed
    it, with the note.
    """
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update().filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    if not conversation.is_open:
        raise InboxError(_("This conversation is already closed."))
    if category is None or category.workspace_id != workspace.pk:
        raise InboxError(_("Choose a category for the closing note."))
    text = clean_text(summary, limit=SUMMARY_MAX_CHARS, field=_("summary"))
    if not text:
        raise InboxError(_("Write a summary for the closing note."))
    now = timezone.now()
    note = ClosingNote.objects.filter(conversation=conversation).first()  # a reopened one keeps its last note
    if note is None:
        note = ClosingNote.objects.create(
            workspace=workspace, conversation=conversation, category=category, summary=text, author=actor
        )
    else:  # closing again: one note per conversation, the latest (the log keeps each closing)
        note.category, note.summary, note.author, note.created_at = category, text, actor, now
        note.save(update_fields=["category", "summary", "author", "created_at"])
    conversation.status = Conversation.Status.CLOSED
    conversation.closed_at = now
    conversation.assignee = None
    conversation.unread_count = 0
    conversation.save(update_fields=["status", "closed_at", "assignee", "unread_count", "updated_at"])
    entry = ConversationEvent.objects.create(
        workspace=workspace, conversation=conversation, actor=actor, kind=ConversationEvent.Kind.CLOSED,
        closing_note=note, created_at=now, workflow_id=workflow_id, workflow_name=workflow_name[:120],
        via=ConversationEvent.Via.WORKFLOW if workflow_id else ConversationEvent.Via.MEMBER)
    record(domain.ConversationClosed(workspace_id=workspace.pk, conversation_id=conversation.pk,
                                     closing_note_id=note.pk, actor_id=actor.pk if actor else None, log_id=entry.pk,
                                     workflow_id=workflow_id))
    return note
