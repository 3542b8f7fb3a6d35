"""What automation (a workflow's step) writes in a conversation: a message from the system, an internal
comment, a line in the history. The inbox never imports the workflows: they pass their id and name."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import live
from inbox.errors import InboxError
from inbox.models import Attachment, Conversation, ConversationEvent, Message
from kernel import events as domain
from kernel.dispatch import record
from kernel.text import MESSAGE_MAX_CHARS, clean_text, preview
from media.uploads import PreparedFile, kind_for
from workspaces.models import Workspace


def _open_conversation(workspace: Workspace, conversation_id: int, *, lock: bool) -> Conversation:
    qs = Conversation.objects.for_workspace(workspace)
    if lock:
        qs = qs.select_for_update(of=("self",))
    conversation = qs.filter(pk=conversation_id).first()
    if conversation is None:
        raise Conversation.DoesNotExist
    if not conversation.is_open:
        raise InboxError(_("This conversation is closed."))
    return conversation


@transaction.atomic
def send_system_message(*, workspace: Workspace, conversation_id: int, body: str,
                        files: list[PreparedFile] | tuple = ()) -> Message:
    """A message to the contact from the workspace itself (sender `system`), queued for delivery like a reply.

    It assigns nobody and leaves the unread marker alone: no member answered. `files` are already checked
    for the channel (a snippet's attachments). Raises InboxError when the conversation is closed or empty.
    """
    text = clean_text(body, limit=MESSAGE_MAX_CHARS, field=_("message"))
    if not text and not files:
        raise InboxError(_("Write a message before sending."))
    conversation = _open_conversation(workspace, conversation_id, lock=True)
    now = timezone.now()
    kind = kind_for(files[0].content_type) if files and not text else Message.Kind.TEXT
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel_id=conversation.channel_id,
        direction=Message.Direction.OUT, kind=kind,
        sender_type=Message.Sender.SYSTEM, body=text, status=Message.Status.QUEUED, created_at=now,
    )
    for item in files:
        attachment = Attachment(workspace=workspace, message=message, name=item.name,
                                content_type=item.content_type, size=item.size, duration=item.duration)
        attachment.file.save(item.name, item.content, save=False)
        attachment.save()
    conversation.last_activity_at = now
    conversation.last_message_preview = preview(text or files[0].name)
    conversation.save(update_fields=["last_activity_at", "last_message_preview", "updated_at"])
    queued = domain.MessageQueued(workspace_id=workspace.pk, conversation_id=conversation.pk, message_id=message.pk,
                                  sender=Message.Sender.SYSTEM, actor_id=None)
    live.remember(queued, workspace=workspace)
    record(queued)
    return message


@transaction.atomic
def add_system_note(*, workspace: Workspace, conversation_id: int, body: str) -> Message:
    """An internal comment written by a workflow: members see it, the contact never does."""
    text = clean_text(body, limit=MESSAGE_MAX_CHARS, field=_("note"))
    if not text:
        raise InboxError(_("Write a note before saving it."))
    conversation = Conversation.objects.for_workspace(workspace).filter(pk=conversation_id).first()
    if conversation is None:
        raise Conversation.DoesNotExist
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel_id=conversation.channel_id,
        direction=Message.Direction.OUT, kind=Message.Kind.NOTE, sender_type=Message.Sender.SYSTEM,
        body=text, status=Message.Status.SENT, created_at=timezone.now(),
    )
    record(domain.NoteAdded(workspace_id=workspace.pk, conversation_id=conversation.pk, message_id=message.pk,
                            actor_id=None))
    return message


@transaction.atomic
def log_waiting_for_agent(*, workspace: Workspace, conversation_id: int, workflow_id: int,
                          workflow_name: str) -> ConversationEvent:
    """The history's "Waiting for an agent" line: a workflow found nobody to assign the conversation to yet."""
    conversation = Conversation.objects.for_workspace(workspace).filter(pk=conversation_id).first()
    if conversation is None:
        raise Conversation.DoesNotExist
    entry = ConversationEvent.objects.create(
        workspace=workspace, conversation=conversation, kind=ConversationEvent.Kind.WAITING,
        via=ConversationEvent.Via.WORKFLOW, workflow_id=workflow_id, workflow_name=workflow_name[:120],
        created_at=timezone.now())
    record(domain.ConversationLogged(workspace_id=workspace.pk, conversation_id=conversation.pk, log_id=entry.pk))
    return entry
