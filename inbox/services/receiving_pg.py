"""PostgreSQL fast path for receive_message: identity → contact → open conversation → message in ONE
statement (data-modifying CTEs), instead of about eight ORM round trips.

Same rules as the portable path in receiving.py (which SQLite uses): dedupe on the channel's
external message id, create the contact and its identity when new, fill a known contact's blank
fields, reuse the open conversation (locked) or open a new unassigned one (with its "opened" log row),
bump activity and unread count. A concurrent insert that loses a unique-index race raises IntegrityError
and the caller retries the whole statement, which then sees the winner's rows. The rows come back as model instances.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from contacts.models import Contact
from inbox.models import Conversation, ConversationEvent, Message


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


CONVERSATION_COLUMNS = _columns(Conversation)
MESSAGE_COLUMNS = _columns(Message)
CONTACT_COLUMNS = _columns(Contact)

# Every column an INSERT below writes, so that a new model field fails loudly here, not in production.
_CONTACT_INSERT = ["workspace_id", "name", "phone", "email", "created_at", "updated_at"]
_CONVERSATION_INSERT = ["workspace_id", "contact_id", "channel_id", "status", "assignee_id", "opened_at",
                        "closed_at", "last_activity_at", "last_message_preview", "unread_count", "updated_at"]
_MESSAGE_INSERT = ["workspace_id", "conversation_id", "channel_id", "direction", "kind", "sender_type",
                   "sender_id", "body", "status", "failure_reason", "external_id", "attempts", "created_at",
                   "status_changed_at", "next_attempt_at", "claim_token", "claimed_until"]
_EVENT_INSERT = ["workspace_id", "conversation_id", "kind", "via", "actor_id", "assignee_id", "workflow_id",
                 "workflow_name", "closing_note_id", "created_at"]
for _model, _cols in ((Contact, _CONTACT_INSERT), (Conversation, _CONVERSATION_INSERT), (Message, _MESSAGE_INSERT),
                      (ConversationEvent, _EVENT_INSERT)):
    _missing = set(_columns(_model)) - set(_cols) - {"id"}
    assert not _missing, f"receiving_pg does not write {_model.__name__} columns {_missing}"


def _cols(prefix: str, columns: list[str]) -> str:
    return ", ".join(f'{prefix}."{c}"' for c in columns)


# Only model column names (constants) are interpolated; every value is a query parameter.
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
    RETURNING k.id
),
new_contact AS (
    INSERT INTO contacts_contact ({", ".join(_CONTACT_INSERT)})
    SELECT %(ws)s, %(name)s, %(phone)s, %(email)s, %(now)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM ident) AND NOT EXISTS (SELECT 1 FROM dup)
    RETURNING {", ".join(CONTACT_COLUMNS)}
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
    RETURNING {_cols("c", CONVERSATION_COLUMNS)}, false AS opened
),
new_conv AS (
    INSERT INTO inbox_conversation ({", ".join(_CONVERSATION_INSERT)})
    SELECT %(ws)s, contact.id, %(ch)s, 'open', NULL, %(now)s, NULL, %(now)s, %(preview)s, 1, %(now)s
    FROM contact
    WHERE NOT EXISTS (SELECT 1 FROM open_conv)
    RETURNING {", ".join(CONVERSATION_COLUMNS)}, true AS opened
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
    RETURNING {", ".join(MESSAGE_COLUMNS)}
)
SELECT
    (SELECT row_to_json(msg) FROM msg),
    (SELECT row_to_json(conv) FROM conv),
    (SELECT row_to_json(new_contact) FROM new_contact)
"""  # noqa: S608


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


def receive_row(*, workspace_id: int, channel_id: int, contact_key: str, name: str, phone: str, email: str,
                external_id: str | None, kind: str, body: str, preview: str, now: datetime
                ) -> tuple[Message | None, Conversation | None, Contact | None, bool]:
    """Run the statement. Returns (message, conversation, new contact or None, opened); all None = duplicate."""
    with connection.cursor() as cursor:
        cursor.execute(SQL, {"ws": workspace_id, "ch": channel_id, "ckey": contact_key, "name": name,
                             "phone": phone, "email": email, "ext": external_id, "kind": kind, "body": body,
                             "preview": preview, "now": now})
        message_data, conversation_data, contact_data = cursor.fetchone()
    if message_data is None:
        return None, None, None, False
    conversation = _instance(Conversation, conversation_data)
    contact = _instance(Contact, contact_data)
    if contact is not None:
        conversation.contact = contact
    return _instance(Message, message_data), conversation, contact, bool(conversation_data["opened"])
