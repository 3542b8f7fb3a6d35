"""Every domain event, with its typed payload: ids and the few facts a listener needs.

This is the one place that names them (like Zulip's event docs). Services record them with
`kernel.dispatch.record(...)` inside their transaction; `config/listeners.py` says who reacts.
Payloads carry ids, never ORM objects: a listener (or the task it enqueues) loads what it needs,
scoped by `workspace_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---- messages ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A contact's message was stored (never for a duplicate)."""

    workspace_id: int
    conversation_id: int
    message_id: int
    contact_id: int
    channel_id: int
    channel_kind: str
    opened: bool  # this message opened the conversation (ConversationOpened is recorded too)
    has_attachments: bool  # files to download
    nameless_contact: bool  # a new contact without a name: the channel may know it


@dataclass(frozen=True, slots=True)
class MessageQueued:
    """An outbound message (agent reply, snippet, voice note, bot or workflow message) waits for delivery."""

    workspace_id: int
    conversation_id: int
    message_id: int
    sender: str  # member | bot | system
    actor_id: int | None  # the member who wrote it
    retry: bool = False  # a failed message the agent put back in the queue (not a new one)


@dataclass(frozen=True, slots=True)
class NoteAdded:
    """An internal note (only the team sees it)."""

    workspace_id: int
    conversation_id: int
    message_id: int
    actor_id: int | None


@dataclass(frozen=True, slots=True)
class MessageStatusChanged:
    """Delivery moved: sent, delivered, read, or failed (with a reason the agent sees)."""

    workspace_id: int
    conversation_id: int
    message_id: int
    status: str


@dataclass(frozen=True, slots=True)
class AttachmentsStored:
    """An inbound message's files were downloaded (or gave up): the history can show them now."""

    workspace_id: int
    conversation_id: int
    message_id: int


# ---- conversations -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationOpened:
    """A contact's message opened a new, unassigned conversation (recorded with its MessageReceived, whose
    live push already shows the new queue row: this one is for the reactions to the opening itself)."""

    workspace_id: int
    conversation_id: int
    contact_id: int
    channel_id: int


@dataclass(frozen=True, slots=True)
class ConversationAssigned:
    """Assigned to a member, or unassigned (assignee_id None). By a member (actor_id), on reply, or by a workflow.

    `log_id` is the ConversationEvent row written with it (the history's "Assigned to … by …" line).
    """

    workspace_id: int
    conversation_id: int
    assignee_id: int | None
    previous_assignee_id: int | None
    actor_id: int | None
    workflow_id: int | None = None
    on_reply: bool = False  # the assignee answered an unassigned conversation
    log_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConversationClosed:
    """Closed with a closing note; it left every queue. `log_id`: the history's "Closed by …" line."""

    workspace_id: int
    conversation_id: int
    closing_note_id: int
    actor_id: int | None
    log_id: int | None = None
    workflow_id: int | None = None  # closed by a workflow's step (workflows are not triggered again by it)


@dataclass(frozen=True, slots=True)
class ConversationReopened:
    """A closed conversation is the contact's open one again (unassigned, back in the queue). `log_id`: the
    history's "Reopened by …" line."""

    workspace_id: int
    conversation_id: int
    actor_id: int | None
    log_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConversationLogged:
    """A line was added to the conversation's history with no other change to show ("Waiting for an agent")."""

    workspace_id: int
    conversation_id: int
    log_id: int


@dataclass(frozen=True, slots=True)
class ConversationHandedOver:
    """The chatbot handed the conversation over to the team (a payload, N fallbacks, an error, Dialogflow
    unreachable). Recorded by the chatbot once it exists; the workflows waiting for the bot run then."""

    workspace_id: int
    conversation_id: int
    log_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConversationRead:
    """A member opened the conversation: its unread marker is gone."""

    workspace_id: int
    conversation_id: int


# ---- surveys -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveySent:
    """A survey invitation went out as a `survey` message (its MessageQueued is recorded too). By a member
    (actor_id) or a workflow (workflow_id). `log_id`: the history's "Survey sent" line."""

    workspace_id: int
    conversation_id: int
    survey_id: int
    invitation_id: int
    message_id: int
    actor_id: int | None
    workflow_id: int | None = None
    log_id: int | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    """The contact submitted a survey's answers (once per invitation). `log_id`: the "Survey answered" line."""

    workspace_id: int
    conversation_id: int
    survey_id: int
    invitation_id: int
    response_id: int
    log_id: int | None = None


# ---- contacts ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactUpdated:
    """A contact's name, phone, email (or profile from the channel) changed: rows showing it re-render."""

    workspace_id: int
    contact_id: int


@dataclass(frozen=True, slots=True)
class ContactTagged:
    """A tag was added to a contact (`tagging_id`: that ContactTag row, so adding it again is a new event)."""

    workspace_id: int
    contact_id: int
    tag_id: int
    tagging_id: int
    actor_id: int | None = None  # the member who did it (the admin), or None
    workflow_id: int | None = None  # added by a workflow's step (workflows are not triggered again by it)


@dataclass(frozen=True, slots=True)
class ContactUntagged:
    """A tag was removed from a contact."""

    workspace_id: int
    contact_id: int
    tag_id: int
    actor_id: int | None = None
    workflow_id: int | None = None


# ---- people and sessions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """A member's role changed (removed=False) or the membership is gone (removed=True)."""

    workspace_id: int
    user_id: int
    removed: bool


@dataclass(frozen=True, slots=True)
class MemberAvailable:
    """A member became available for work: their first agents' socket connected while not away, or they ended
    their "away" while connected (realtime.presence). `key` is unique per occurrence (the workflows' runs are
    idempotent per event). Conversations waiting for an agent are assigned then."""

    workspace_id: int
    membership_id: int
    key: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A person signed out (that one session) — `session_key` is read before the session was flushed."""

    user_id: int
    session_key: str


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """A password was changed (keep the tab that did it) or reset (keep none); every other session is over."""

    user_id: int
    keep_session_key: str | None
    new_session_key: str | None
    reset: bool


@dataclass(frozen=True, slots=True)
class AccountDeactivated:
    user_id: int
