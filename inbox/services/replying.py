"""Agents' replies and internal notes."""

from __future__ import annotations

import emoji
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import registry
from inbox import live
from inbox.errors import InboxError
from inbox.models import Attachment, Conversation, ConversationEvent, Message
from kernel import events as domain
from kernel.dispatch import record
from kernel.text import MESSAGE_MAX_CHARS, clean_text, preview
from media.uploads import PreparedFile, kind_for, prepare_uploads
from media.voice import prepare_voice
from workspaces.models import Membership, Workspace


def _locked_open_conversation(workspace: Workspace, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update(of=("self",))
        .select_related("channel").filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    if not conversation.is_open:
        raise InboxError(_("This conversation is closed."))
    return conversation


@transaction.atomic
def send_reply(*, workspace: Workspace, conversation_id: int, member: Membership, body: str,
               files: list | tuple = (), voice=None, extra_files: list[PreparedFile] | tuple = ()) -> Message:
    """Store an agent's reply (text, files, a voice note) as queued and deliver it in a task.

    `files` are raw uploads, checked against the channel's capabilities (size, sniffed type);
    `voice` is one recording, decoded and limited to VOICE_NOTE_MAX_SECONDS; `extra_files` are
    already-checked files (a snippet's attachments). `:shortcode:` emoji become emoji.
    An unassigned conversation is assigned to the replying member. The conversation row is locked,
    so two agents replying at once produce exactly one assignee.
    """
    if member.workspace_id != workspace.pk:
        raise InboxError(_("That person is not a member of this workspace."))
    text = emoji.emojize(clean_text(body, limit=MESSAGE_MAX_CHARS, field=_("message")), language="alias")
    conversation = _locked_open_conversation(workspace, conversation_id)
    capabilities = registry.get(conversation.channel.kind).capabilities
    prepared = [*prepare_uploads(files=list(files), capabilities=capabilities), *extra_files]
    if voice is not None:
        prepared.insert(0, prepare_voice(upload=voice))
        kind = Message.Kind.VOICE
    elif prepared:
        kind = kind_for(prepared[0].content_type)
    else:
        kind = Message.Kind.TEXT
    if not text and not prepared:
        raise InboxError(_("Write a message before sending."))
    now = timezone.now()
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel_id=conversation.channel_id,
        direction=Message.Direction.OUT, kind=kind, sender_type=Message.Sender.MEMBER, sender=member,
        body=text, status=Message.Status.QUEUED, created_at=now,
    )
    for item in prepared:
        attachment = Attachment(workspace=workspace, message=message, name=item.name,
                                content_type=item.content_type, size=item.size, duration=item.duration)
        attachment.file.save(item.name, item.content, save=False)
        attachment.save()
    assigned = conversation.assignee_id is None
    if assigned:
        conversation.assignee = member
    conversation.last_activity_at = now
    conversation.last_message_preview = preview(text or (prepared[0].name if prepared else ""))
    conversation.unread_count = 0
    conversation.save(update_fields=["assignee", "last_activity_at", "last_message_preview", "unread_count",
                                     "updated_at"])
    ws_id, conv_id, msg_id = workspace.pk, conversation.pk, message.pk
    if assigned:  # logged (and pushed) just before the reply: "Assigned to … (on reply)", then the message
        entry = ConversationEvent.objects.create(
            workspace=workspace, conversation=conversation, kind=ConversationEvent.Kind.ASSIGNED,
            via=ConversationEvent.Via.REPLY, actor=member, assignee=member, created_at=now)
        record(domain.ConversationAssigned(workspace_id=ws_id, conversation_id=conv_id, assignee_id=member.pk,
                                           previous_assignee_id=None, actor_id=member.pk, on_reply=True,
                                           log_id=entry.pk))
    queued = domain.MessageQueued(workspace_id=ws_id, conversation_id=conv_id, message_id=msg_id,
                                  sender=Message.Sender.MEMBER, actor_id=member.pk)
    live.remember(queued, workspace=workspace)
    record(queued)
    return message


@transaction.atomic
def add_note(*, workspace: Workspace, conversation_id: int, member: Membership, body: str,
             with_files: bool = False) -> Message:
    """An internal note on the conversation: visible to members only, never sent to the contact.

    Notes are text only: files sent along (`with_files`) are refused, never silently dropped.
    """
    if with_files:
        raise InboxError(_("Internal notes are text only: remove the files, or send them as a reply."))
    text = clean_text(body, limit=MESSAGE_MAX_CHARS, field=_("note"))
    if not text:
        raise InboxError(_("Write a note before saving it."))
    conversation = Conversation.objects.for_workspace(workspace).filter(pk=conversation_id).first()
    if conversation is None:
        raise Conversation.DoesNotExist
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel_id=conversation.channel_id,
        direction=Message.Direction.OUT, kind=Message.Kind.NOTE, sender_type=Message.Sender.MEMBER,
        sender=member, body=text, status=Message.Status.SENT, created_at=timezone.now(),
    )
    record(domain.NoteAdded(workspace_id=workspace.pk, conversation_id=conversation.pk, message_id=message.pk,
                            actor_id=member.pk))
    return message


@transaction.atomic
def mark_read(*, workspace: Workspace, conversation_id: int) -> None:
    """An agent opened the conversation: its unread marker clears for everyone."""
    updated = (
        Conversation.objects.for_workspace(workspace).filter(pk=conversation_id, unread_count__gt=0)
        .update(unread_count=0)
    )
    if updated:
        record(domain.ConversationRead(workspace_id=workspace.pk, conversation_id=conversation_id))
