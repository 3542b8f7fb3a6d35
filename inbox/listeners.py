"""The live push: one listener per domain event, each rendering the partials the pages use and publishing
ONE numbered frame to the workspace's group (realtime.events.publish) after commit.

Frames and what the browser (static/js/inbox.js) reads in their payload:

    message.created / message.updated   conversation_id, message_id, status, html (the _message.html
                                        partial); a new message also carries `conversation` (as below),
                                        since it moved the queue row (its counts: inbox.live_counts)
    conversation.<assigned|unassigned|  conversation_id, status, assignee_id, assignee_name, contact_name,
      updated|closed>                   unread, activity, row_html (_queue_row.html), counts (or null),
                                        and log_html (the history's event line, when the change wrote one)

Cheap by design: a push is rendered once for everyone (never per agent), from ids, in a handful of
queries; the inbound hot path reuses the rows the service just wrote (inbox.live.remember).
"""

from __future__ import annotations

from kernel import events as e
from realtime import events as live_events

from . import live, live_counts
from .models import Conversation


def push_message_received(event: e.MessageReceived) -> None:
    hints = live.recall(event)
    workspace = live.workspace_of(event.workspace_id, hints)
    message = hints.get("message")  # loaded with what the partial shows, or None (files: read them back)
    conversation = hints.get("conversation")
    if conversation is not None:
        live.with_relations(conversation)
    else:
        conversation = live.load_conversation(workspace, event.conversation_id)
        if conversation is None:
            return
    payload = live.message_payload(workspace, event.message_id, message=message)
    payload["conversation"] = row = live.conversation_payload(workspace, conversation, counts=False)
    if event.opened:  # the counts changed: now, or within live_counts.COUNTS_EVERY (coalesced)
        row["counts"] = live_counts.counts_for(workspace, conversation.pk)
    live_events.publish(event.workspace_id, live_events.MESSAGE_CREATED, payload)


def push_message_queued(event: e.MessageQueued) -> None:
    """A new outbound message (with the queue row it moved), or a retried one going back to queued."""
    workspace = live.workspace_of(event.workspace_id, live.recall(event))
    payload = live.message_payload(workspace, event.message_id)
    if event.retry:
        live_events.publish(event.workspace_id, live_events.MESSAGE_UPDATED, payload)
        return
    conversation = live.load_conversation(workspace, event.conversation_id)
    if conversation is not None:
        payload["conversation"] = live.conversation_payload(workspace, conversation, counts=False)
    live_events.publish(event.workspace_id, live_events.MESSAGE_CREATED, payload)


def push_note_added(event: e.NoteAdded) -> None:
    workspace = live.workspace_of(event.workspace_id)
    live_events.publish(event.workspace_id, live_events.MESSAGE_CREATED, live.message_payload(workspace,
                                                                                             event.message_id))


def push_message_changed(event: e.MessageStatusChanged | e.AttachmentsStored) -> None:
    """Delivery status moved, or an inbound message's files are stored: the history re-renders it."""
    workspace = live.workspace_of(event.workspace_id)
    live_events.publish(event.workspace_id, live_events.MESSAGE_UPDATED, live.message_payload(workspace,
                                                                                             event.message_id))


def _push_conversation(workspace_id: int, conversation_id: int, name: str, *, counts: bool,
                       log_id: int | None = None) -> None:
    workspace = live.workspace_of(workspace_id)
    conversation = live.load_conversation(workspace, conversation_id)
    if conversation is not None:
        _publish_conversation(workspace, conversation, name, counts=counts, log_id=log_id)


def _publish_conversation(workspace, conversation: Conversation, name: str, *, counts: bool,
                          log_id: int | None = None) -> None:
    payload = live.conversation_payload(workspace, conversation, counts=counts)
    payload["log_html"] = live.log_entry_html(workspace, log_id)
    live_events.publish(workspace.pk, name, payload)


def push_conversation_assigned(event: e.ConversationAssigned) -> None:
    name = live_events.CONVERSATION_ASSIGNED if event.assignee_id else live_events.CONVERSATION_UNASSIGNED
    _push_conversation(event.workspace_id, event.conversation_id, name, counts=True, log_id=event.log_id)


def push_conversation_closed(event: e.ConversationClosed) -> None:
    _push_conversation(event.workspace_id, event.conversation_id, live_events.CONVERSATION_CLOSED, counts=True,
                       log_id=event.log_id)


def push_conversation_reopened(event: e.ConversationReopened) -> None:
    """Back in the queue (Unassigned, All) with its "Reopened by …" line; a page showing it closed reloads."""
    _push_conversation(event.workspace_id, event.conversation_id, live_events.CONVERSATION_OPENED, counts=True,
                       log_id=event.log_id)


def push_conversation_logged(event: e.SurveySent | e.SurveyAnswered) -> None:
    """A line in the conversation's log (a survey sent or answered): the history shows it where it is open."""
    _push_conversation(event.workspace_id, event.conversation_id, live_events.CONVERSATION_UPDATED, counts=False,
                       log_id=event.log_id)


def push_conversation_read(event: e.ConversationRead) -> None:
    _push_conversation(event.workspace_id, event.conversation_id, live_events.CONVERSATION_UPDATED, counts=False)


def push_contact_updated(event: e.ContactUpdated) -> None:
    """A contact's name (or phone, email) changed: the queue row and the header of its open conversation."""
    workspace = live.workspace_of(event.workspace_id)
    conversation = (
        Conversation.objects.for_workspace(workspace).open().select_related("contact", "channel", "assignee__user")
        .filter(contact_id=event.contact_id).first()
    )
    if conversation is not None:
        _publish_conversation(workspace, conversation, live_events.CONVERSATION_UPDATED, counts=False)

