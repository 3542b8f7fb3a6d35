"""Inbound messages: identity → contact → open conversation → message, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connectors.base import InboundMessage, StatusReceipt
from contacts.services import identities
from inbox import live
from inbox.models import Attachment, Channel, Conversation, ConversationEvent, Message
from kernel import events as domain
from kernel.dispatch import record, record_all
from kernel.text import MESSAGE_MAX_CHARS, clean_line, clean_text, preview
from workspaces.models import Workspace

_STATUS_ORDER = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(frozen=True)
class Received:
    message: Message | None
    conversation: Conversation | None
    opened: bool = False
    duplicate: bool = False


def receive_message(*, workspace: Workspace, channel: Channel, inbound: InboundMessage) -> Received:
    """Store one inbound message exactly once and publish it after commit.

    A contact with no open conversation gets a new, unassigned one. The same external message
    id twice (even concurrently) is stored once: the loser of a race retries and sees a duplicate.
    """
    for attempt in range(3):
        try:
            return _receive(workspace=workspace, channel=channel, inbound=inbound)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _receive(*, workspace: Workspace, channel: Channel, inbound: InboundMessage) -> Received:
    if connection.vendor == "postgresql":
        return _receive_pg(workspace=workspace, channel=channel, inbound=inbound)
    external_id = clean_line(inbound.external_message_id, limit=255) or None
    if external_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
        return Received(message=None, conversation=None, duplicate=True)
    now = timezone.now()
    identity = identities.identity_find(workspace=workspace, channel_id=channel.pk,
                                        external_id=inbound.external_contact_id)
    new_contact = identity is None
    if identity is None:
        contact = identities.contact_create_with_identity(
            workspace=workspace, channel_id=channel.pk, external_id=inbound.external_contact_id,
            name=inbound.contact_name, phone=inbound.phone, email=inbound.email)
    else:
        contact = identity.contact
        identities.contact_fill_blanks(contact=contact, name=inbound.contact_name, phone=inbound.phone,
                                       email=inbound.email)
    text = clean_text(inbound.text)[:MESSAGE_MAX_CHARS]
    conversation = (
        Conversation.objects.for_workspace(workspace).open().select_for_update()
        .filter(contact=contact).first()
    )
    opened = conversation is None
    if opened:
        conversation = Conversation.objects.create(
            workspace=workspace, contact=contact, channel=channel, opened_at=now, last_activity_at=now,
        )
        ConversationEvent.objects.create(workspace=workspace, conversation=conversation, created_at=now,
                                         kind=ConversationEvent.Kind.OPENED, via=ConversationEvent.Via.CONTACT)
    message = Message.objects.create(
        workspace=workspace, conversation=conversation, channel=channel, direction=Message.Direction.IN,
        kind=inbound.kind if inbound.kind in Message.Kind.values else Message.Kind.TEXT,
        sender_type=Message.Sender.CONTACT, body=text, status=Message.Status.RECEIVED,
        external_id=external_id, created_at=now,
    )
    if inbound.attachments:
        Attachment.objects.bulk_create([
            Attachment(workspace=workspace, message=message, name=clean_line(a.name, limit=255) or "file",
                       content_type=clean_line(a.content_type, limit=120), source_url=a.url)
            for a in inbound.attachments
        ])
    shown = text or (inbound.attachments[0].name if inbound.attachments else "")
    Conversation.objects.filter(pk=conversation.pk).update(
        last_activity_at=now, unread_count=F("unread_count") + 1, last_message_preview=preview(shown), channel=channel,
    )
    conversation.last_activity_at, conversation.last_message_preview = now, preview(shown)
    conversation.unread_count += 1  # the row is locked (or new): this is its value now
    _after_receive(workspace, inbound, conversation, message, opened, nameless_contact=new_contact and not contact.name)
    return Received(message=message, conversation=conversation, opened=opened)


def _receive_pg(*, workspace: Workspace, channel: Channel, inbound: InboundMessage) -> Received:
    """One statement on PostgreSQL (see receiving_pg); the same rules as the portable path."""
    from .receiving_pg import receive_row

    text = clean_text(inbound.text)[:MESSAGE_MAX_CHARS]
    shown = text or (inbound.attachments[0].name if inbound.attachments else "")
    message, conversation, new_contact, opened = receive_row(
        workspace_id=workspace.pk, channel_id=channel.pk,
        contact_key=clean_line(inbound.external_contact_id, limit=255),
        name=clean_line(inbound.contact_name, limit=200), phone=clean_line(inbound.phone, limit=40),
        email=clean_line(inbound.email, limit=254), external_id=clean_line(inbound.external_message_id, limit=255)
        or None, kind=inbound.kind if inbound.kind in Message.Kind.values else Message.Kind.TEXT, body=text,
        preview=preview(shown), now=timezone.now(),
    )
    if message is None:
        return Received(message=None, conversation=None, duplicate=True)
    message.channel = channel
    nameless = new_contact and not conversation.contact.name
    if inbound.attachments:
        Attachment.objects.bulk_create([
            Attachment(workspace=workspace, message=message, name=clean_line(a.name, limit=255) or "file",
                       content_type=clean_line(a.content_type, limit=120), source_url=a.url)
            for a in inbound.attachments
        ])
    _after_receive(workspace, inbound, conversation, message, opened, nameless_contact=nameless)
    return Received(message=message, conversation=conversation, opened=opened)


def _no_attachments():
    """An empty, already evaluated attachments queryset (as prefetch_related leaves it): nothing to compile."""
    none = Attachment.objects.none()
    none._result_cache, none._prefetch_done = [], True
    return none


def _after_receive(workspace: Workspace, inbound: InboundMessage, conversation: Conversation, message: Message,
                   opened: bool, *, nameless_contact: bool = False) -> None:
    """Record MessageReceived (the live push, file downloads, the profile lookup react) and ConversationOpened."""
    ws_id, conv_id, msg_id = workspace.pk, conversation.pk, message.pk
    received = domain.MessageReceived(
        workspace_id=ws_id, conversation_id=conv_id, message_id=msg_id, contact_id=conversation.contact_id,
        channel_id=message.channel.pk, channel_kind=message.channel.kind, opened=opened,
        has_attachments=bool(inbound.attachments), nameless_contact=nameless_contact)
    # The push renders from the rows just written, so a busy webhook costs few extra queries; a message
    # with files is read back with them.
    conversation.channel = message.channel
    if not inbound.attachments:
        message._prefetched_objects_cache = {"attachments": _no_attachments()}
    live.remember(received, workspace=workspace, conversation=conversation,
                  message=None if inbound.attachments else message)
    record(received)
    if opened:
        record(domain.ConversationOpened(workspace_id=ws_id, conversation_id=conv_id,
                                         contact_id=conversation.contact_id, channel_id=message.channel.pk))


@transaction.atomic
def receive_status(*, workspace: Workspace, channel: Channel, receipt: StatusReceipt) -> Message | None:
    """Apply a provider receipt to our outbound message. Status only moves forward; failed is final."""
    message = (
        Message.objects.for_workspace(workspace).select_for_update()
        .filter(channel=channel, external_id=receipt.external_message_id, direction=Message.Direction.OUT).first()
    )
    if message is None or message.status == Message.Status.FAILED:
        return message
    if receipt.status == Message.Status.FAILED:
        message.status = Message.Status.FAILED
        message.failure_reason = clean_line(receipt.reason, limit=500)
    elif _STATUS_ORDER.get(receipt.status, -1) > _STATUS_ORDER.get(message.status, -1):
        message.status = receipt.status
    else:
        return message
    message.status_changed_at = timezone.now()
    message.save(update_fields=["status", "failure_reason", "status_changed_at"])
    record(domain.MessageStatusChanged(workspace_id=workspace.pk, conversation_id=message.conversation_id,
                                       message_id=message.pk, status=message.status))
    return message


READ_UP_TO_LIMIT = 200


def receive_read_up_to(*, workspace: Workspace, channel: Channel, external_contact_id: str, until) -> int:
    """Mark our messages to this contact sent before `until` as read (a read watermark). Returns how many."""
    contact_id = identities.contact_id_for(workspace=workspace, channel_id=channel.pk,
                                           external_id=external_contact_id)
    if contact_id is None:
        return 0
    rows = list(
        Message.objects.for_workspace(workspace)
        .filter(conversation__contact_id=contact_id, channel=channel, direction=Message.Direction.OUT,
                status__in=[Message.Status.SENT, Message.Status.DELIVERED], created_at__lte=until)
        .order_by("-id").values_list("pk", "conversation_id")[:READ_UP_TO_LIMIT]
    )
    if not rows:
        return 0
    Message.objects.filter(pk__in=[pk for pk, _conv in rows]).update(status=Message.Status.READ,
                                                                      status_changed_at=timezone.now())
    record_all(domain.MessageStatusChanged(workspace_id=workspace.pk, conversation_id=conv_id, message_id=pk,
                                           status=Message.Status.READ) for pk, conv_id in reversed(rows))
    return len(rows)
