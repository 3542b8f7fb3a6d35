"""Who reacts to which domain event: the one table (kernel.dispatch reads it; settings.PARLEY_LISTENERS).

Read it top to bottom to know what happens after a service commits. Each listener is small: something
cheap (a live push: render once, publish one numbered frame) or a task enqueued with ids. Events and
their payloads: kernel/events.py. ConversationOpened has no listener yet (workflows will: the live push
of the opening message already shows the new queue row).
"""

from __future__ import annotations

from contacts.services.profiles import wants_profile
from inbox import listeners as live
from kernel import events as e
from kernel.dispatch import Task
from realtime import listeners as live_sockets

LISTENERS: dict[type, list] = {
    # Messages.
    e.MessageReceived: [
        live.push_message_received,
        Task("inbox.tasks.download_attachments", lambda ev: (ev.workspace_id, ev.message_id),
             when=lambda ev: ev.has_attachments),
        Task("inbox.tasks.fetch_contact_profile", lambda ev: (ev.workspace_id, ev.contact_id, ev.channel_id),
             when=lambda ev: ev.nameless_contact and wants_profile(ev.channel_kind)),
    ],
    e.MessageQueued: [
        live.push_message_queued,
        Task("inbox.tasks.deliver_message", lambda ev: (ev.workspace_id, ev.message_id)),
    ],
    e.NoteAdded: [live.push_note_added],
    e.MessageStatusChanged: [live.push_message_changed],
    e.AttachmentsStored: [live.push_message_changed],  # "(downloading…)" becomes the file
    # Conversations.
    e.ConversationAssigned: [live.push_conversation_assigned],
    e.ConversationClosed: [live.push_conversation_closed],
    e.ConversationRead: [live.push_conversation_read],
    e.ConversationReopened: [live.push_conversation_reopened],
    # Surveys: the message itself is pushed by its MessageQueued; these push the log's line.
    e.SurveySent: [live.push_conversation_logged],
    e.SurveyAnswered: [live.push_conversation_logged],  # "Survey answered", linking to the answers
    # Contacts.
    e.ContactUpdated: [live.push_contact_updated],  # the profile fetch named the contact: row and header
    # People and sessions: open agents' sockets follow them within a second.
    e.SessionEnded: [live_sockets.close_sockets_of_session],
    e.PasswordChanged: [live_sockets.close_other_sockets_after_password_change],
    e.AccountDeactivated: [live_sockets.close_sockets_of_deactivated_account],
    e.MembershipChanged: [live_sockets.follow_membership_change],
}
