"""PostgreSQL fast path for receive_message: identity → contact → open conversation → message in ONE
statement (data-modifying CTEs), instead of about eight ORM round trips.

Same rules as the portable path in receiving.py (which SQLite uses): dedupe on the channel's
external message id, create the contact and its identity when new, fill a known contact's blank
fields, reuse the open conversation (locked) or open a new unassigned one (with its "opened" log row),
bump activity and unread count. A concurrent insert that loses a unique-index race raises IntegrityError
and the caller retries the whole statement, which then sees the winner's rows. The rows come back as model instances,
with what the live push renders (the contact, new or known, and the assignee's name), so the push reads nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor

from contacts.models import Contact
from inbox.models import Conversation, ConversationEvent, Message
from workspaces.models import Membership, User


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


USER_NAME_FIELDS = ["id", "display_name", "first_name", "last_name", "email"]  # what User.name reads

# Every column an INSERT below writes, so that a new model field fails loudly here, not in production.
_CONTACT_INSERT = ["workspace_id", "name", "phone", "email", "created_at", "updated_at"]
_CONVERSATION_INSERT = ["workspace_id", "contact_id", "channel_id", "status", "assignee_id", "opened_at",
                        "closed_at", "last_activity_at", "last_message_preview", "unread_count", "updated_at"]
_MESSAGE_INSERT = ["workspace_id", "conversation_id", "channel_id", "direction", "kind", "sender_type",
                   "sender_id", "body", "status", "failure_reason", "external_id", "attempts", "created_at",
                   "status_changed_at", "next_attempt_at", "claim_token", "claimed_until"]
_EVENT_INSERT = ["workspace_id", "conversation_id", "kind", "via", "actor_id", "assignee_id", "workflow_id",
                 "workflow_name", "closing_note_id", "created_at"]
for _model, _written in ((Contact, _CONTACT_INSERT), (Conversation, _CONVERSATION_INSERT),
                         (Message, _MESSAGE_INSERT), (ConversationEvent, _EVENT_INSERT)):
    _missing = set(_columns(_model)) - set(_written) - {"id"}
    assert not _missing, f"receiving_pg does not write {_model.__name__} columns {_missing}"


# Only model column names (constants) are interpolated; every value is a query parameter. Rows come back whole
# (RETURNING *) and are read by column name. The contact is the one as it is now: new, just filled in, or as
# stored (a CTE's update is not visible to a plain read of the same statement, hence the COALESCE's order).
SQL = f"""
WITH
dup AS (
    SELECT 1 FROM inbox_message
    WHERE %(ext)s::varchar IS NOT NULL AND channel_id = %(ch)s AND external_id = %(ext)s
),
ident AS (
    SELECT contact_id FROM contacts_contactidentity
    WHERE channel_id = %(ch)s AND external_id = %(ckey)s AND NOT EXISTS (SELECT 1 FROM dup)
),
filled AS (
    UPDATE contacts_contact AS k SET
        name = CASE WHEN k.name = '' THEN %(name)s ELSE k.name END,
        phone = CASE WHEN k.phone = '' THEN %(phone)s ELSE k.phone END,
        email = CASE WHEN k.email = '' THEN %(email)s ELSE k.email END,
        updated_at = %(now)s
    WHERE k.id IN (SELECT contact_id FROM ident)
      AND ((k.name = '' AND %(name)s <> '') OR (k.phone = '' AND %(phone)s <> '')
           OR (k.email = '' AND %(email)s <> ''))
    RETURNING k.*
),
new_contact AS (
    INSERT INTO contacts_contact ({", ".join(_CONTACT_INSERT)})
    SELECT %(ws)s, %(name)s, %(phone)s, %(email)s, %(now)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM ident) AND NOT EXISTS (SELECT 1 FROM dup)
    RETURNING *
),
new_ident AS (
    INSERT INTO contacts_contactidentity (workspace_id, contact_id, channel_id, external_id, created_at)
    SELECT %(ws)s, id, %(ch)s, %(ckey)s, %(now)s FROM new_contact
    RETURNING contact_id
),
contact AS (
    SELECT contact_id AS id FROM ident UNION ALL SELECT id FROM new_contact
),
open_conv AS (
    SELECT c.id FROM inbox_conversation AS c
    WHERE c.contact_id IN (SELECT id FROM contact) AND c.status = 'open'
    FOR UPDATE OF c
),
bumped AS (
    UPDATE inbox_conversation AS c SET
        last_activity_at = %(now)s, unread_count = c.unread_count + 1, last_message_preview = %(preview)s,
        channel_id = %(ch)s, updated_at = %(now)s
    WHERE c.id IN (SELECT id FROM open_conv)
    RETURNING c.*, false AS opened
),
new_conv AS (
    INSERT INTO inbox_conversation ({", ".join(_CONVERSATION_INSERT)})
    SELECT %(ws)s, contact.id, %(ch)s, 'open', NULL, %(now)s, NULL, %(now)s, %(preview)s, 1, %(now)s
    FROM contact
    WHERE NOT EXISTS (SELECT 1 FROM open_conv)
    RETURNING *, true AS opened
),
opened_log AS (
    INSERT INTO inbox_conversationevent ({", ".join(_EVENT_INSERT)})
    SELECT %(ws)s, id, 'opened', 'contact', NULL, NULL, NULL, '', NULL, %(now)s FROM new_conv
),
conv AS (SELECT * FROM bumped UNION ALL SELECT * FROM new_conv),
msg AS (
    INSERT INTO inbox_message ({", ".join(_MESSAGE_INSERT)})
    SELECT %(ws)s, conv.id, %(ch)s, 'in', %(kind)s, 'contact', NULL, %(body)s, 'received', '', %(ext)s, 0,
           %(now)s, NULL, NULL, NULL, NULL
    FROM conv
    RETURNING *
)
SELECT
    (SELECT row_to_json(msg) FROM msg),
    (SELECT row_to_json(conv) FROM conv),
    COALESCE((SELECT row_to_json(new_contact) FROM new_contact), (SELECT row_to_json(filled) FROM filled),
             (SELECT row_to_json(k) FROM contacts_contact AS k WHERE k.id IN (SELECT contact_id FROM ident))),
    EXISTS (SELECT 1 FROM new_contact),
    (SELECT json_build_object('membership', row_to_json(m), 'user', json_build_object(
                {", ".join(f"'{c}', u.{c}" for c in USER_NAME_FIELDS)}))
     FROM workspaces_membership AS m JOIN workspaces_user AS u ON u.id = m.user_id
     WHERE m.id = (SELECT assignee_id FROM conv))
"""  # noqa: S608
# One line, single spaces (no literal in it holds two): short enough for psycopg to cache its parsing
# (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH, 4096).
SQL = re.sub(r"\s+", " ", SQL).strip()
assert len(SQL) <= 4096, f"the inbound statement is {len(SQL)} characters: psycopg would parse it on every call"


def _instance(model, data: dict | None):
    if data is None:
        return None
    names = [f.attname for f in model._meta.concrete_fields]
    values = []
    for field in model._meta.concrete_fields:
        value = data[field.column]
        if value is not None and field.get_internal_type() == "DateTimeField" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values.append(value)
    return model.from_db(connection.alias, names, values)


def _cursor():
    """A Django cursor (counted, logged, errors wrapped as usual) for the statement, prepared on its connection.

    Planning this statement costs PostgreSQL more than running it (about 1.2 of 1.9 ms of its CPU on the
    project's machine), so it is a prepared statement: a server-side-binding cursor, and the connection
    prepares what such cursors run (Django's own queries use client-side binding, which never prepares).
    Connections live in Django's pool, so each prepares it once. DATABASE_PREPARED_STATEMENTS=0 turns it off
    (a pooler that cannot keep prepared statements between transactions, such as pgbouncer < 1.21 in
    transaction mode).
    """
    if not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = 0  # prepare on first use; only server-side-binding cursors ever do
    return connection._prepare_cursor(ServerBindingCursor(raw))


def receive_row(*, workspace_id: int, channel_id: int, contact_key: str, name: str, phone: str, email: str,
                external_id: str | None, kind: str, body: str, preview: str, now: datetime
                ) -> tuple[Message | None, Conversation | None, bool, bool]:
    """Run the statement. Returns (message, conversation, new contact, opened); (None, None, …) = duplicate.

    The conversation comes with its contact and, when it has one, its assignee (membership and the user's
    name fields only) loaded.
    """
    with _cursor() as cursor:
        cursor.execute(SQL, {"ws": workspace_id, "ch": channel_id, "ckey": contact_key, "name": name,
                             "phone": phone, "email": email, "ext": external_id, "kind": kind, "body": body,
                             "preview": preview, "now": now})
        message_data, conversation_data, contact_data, new_contact, assignee_data = cursor.fetchone()
    if message_data is None:
        return None, None, False, False
    conversation = _instance(Conversation, conversation_data)
    conversation.contact = _instance(Contact, contact_data)
    if assignee_data is not None:
        membership = _instance(Membership, assignee_data["membership"])
        membership.user = User(**assignee_data["user"])  # for its name: never saved from here
        conversation.assignee = membership
    return _instance(Message, message_data), conversation, bool(new_contact), bool(conversation_data["opened"])
