"""Who reacts to which domain event: the one table (kernel.dispatch reads it; settings.PARLEY_LISTENERS).

Read it top to bottom to know what happens after a service commits. Each listener is small: something
cheap (a live push: render once, publish one numbered frame) or a task enqueued with ids. Events and
their payloads: kernel/events.py. `workflows.reacting()` is the workflows' engine (one task, and only when the
workspace has a workflow that cares: workflows/listeners.py); ConversationOpened has no live push of its own
(the push of the opening message already shows the new queue row).
"""

from __future__ import annotations

from contacts.services.profiles import wants_profile
from inbox import listeners as live
from kernel import events as e
from kernel.dispatch import Task
from realtime import listeners as live_sockets
from workflows import listeners as workflows

LISTENERS: dict[type, list] = {
    # Messages.
    e.MessageReceived: [
        live.push_message_received,
        Task("inbox.tasks.download_attachments", lambda ev: (ev.workspace_id, ev.message_id),
             when=lambda ev: ev.has_attachments),
        Task("inbox.tasks.fetch_contact_profile", lambda ev: (ev.workspace_id, ev.contact_id, ev.channel_id),
             when=lambda ev: ev.nameless_contact and wants_profile(ev.channel_kind)),
        workflows.reacting(),
    ],
    e.MessageQueued: [
        live.push_message_queued,
        Task("inbox.tasks.deliver_message", lambda ev: (ev.workspace_id, ev.message_id)),
    ],
    e.NoteAdded: [live.push_note_added],
    e.MessageStatusChanged: [live.push_message_changed],
    e.AttachmentsStored: [live.push_message_changed],  # "(downloading…)" becomes the file
    # Conversations.
    e.ConversationOpened: [workflows.reacting()],
    e.ConversationAssigned: [live.push_conversation_assigned, workflows.reacting()],  # unassigned: a trigger
    e.ConversationClosed: [live.push_conversation_closed, workflows.reacting()],  # waits cancelled, capacity freed
    e.ConversationLogged: [live.push_conversation_logged],  # "Waiting for an agent"
    e.ConversationHandedOver: [workflows.reacting()],  # the bot let go: the workflows it held run
    e.ConversationRead: [live.push_conversation_read],
    e.ConversationReopened: [live.push_conversation_reopened],
    # Surveys: the message itself is pushed by its MessageQueued; these push the log's line.
    e.SurveySent: [live.push_conversation_logged],
    e.SurveyAnswered: [live.push_conversation_logged],  # "Survey answered", linking to the answers
    # Contacts.
    e.ContactUpdated: [live.push_contact_updated],  # the profile fetch named the contact: row and header
    e.ContactTagged: [workflows.reacting()],
    # People: someone available again gets the conversations waiting for an agent.
    e.MemberAvailable: [workflows.reacting()],
    # People and sessions: open agents' sockets follow them within a second.
    e.SessionEnded: [live_sockets.close_sockets_of_session],
    e.PasswordChanged: [live_sockets.close_other_sockets_after_password_change],
    e.AccountDeactivated: [live_sockets.close_sockets_of_deactivated_account],
    e.MembershipChanged: [live_sockets.follow_membership_change],
}
