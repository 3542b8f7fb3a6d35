"""The bare limit: a plain psycopg loop doing an inbound message's work, in N processes for S seconds.

Per message, as Parley must: find or create the contact and its identity, find (locked) or open the
contact's conversation, insert the message with ON CONFLICT dedupe on the channel's external id, bump the
conversation, commit, and PUBLISH a small payload to Redis. A returning contact is 4 statements + commit.
Each process cycles through its share of the contacts, so two processes never race for one contact.

Usage (alone it makes its own database; ingest.py runs it in the same run as Parley):
    .venv/bin/python bench/ingest_bare.py [--seconds 15] [--processes 2] [--contacts 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime

import _ingest

FIND_IDENTITY = "SELECT contact_id FROM contacts_contactidentity WHERE channel_id = %s AND external_id = %s"
NEW_CONTACT = """INSERT INTO contacts_contact (workspace_id, name, phone, email, created_at, updated_at)
                 VALUES (%s, %s, '', '', %s, %s) RETURNING id"""
NEW_IDENTITY = """INSERT INTO contacts_contactidentity (workspace_id, contact_id, channel_id, external_id, created_at)
                  VALUES (%s, %s, %s, %s, %s)"""
FIND_OPEN = "SELECT id FROM inbox_conversation WHERE contact_id = %s AND status = 'open' FOR UPDATE"
NEW_CONVERSATION = """INSERT INTO inbox_conversation (workspace_id, contact_id, channel_id, status, assignee_id,
                          opened_at, closed_at, last_activity_at, last_message_preview, unread_count, updated_at)
                      VALUES (%s, %s, %s, 'open', NULL, %s, NULL, %s, '', 0, %s) RETURNING id"""
NEW_MESSAGE = """INSERT INTO inbox_message (workspace_id, conversation_id, channel_id, direction, kind, sender_type,
                     sender_id, body, status, failure_reason, external_id, attempts, created_at, status_changed_at)
                 VALUES (%s, %s, %s, 'in', 'text', 'contact', NULL, %s, 'received', '', %s, 0, %s, NULL)
                 ON CONFLICT (channel_id, external_id) WHERE external_id IS NOT NULL DO NOTHING RETURNING id"""
BUMP = """UPDATE inbox_conversation SET last_activity_at = %s, unread_count = unread_count + 1,
              last_message_preview = %s, updated_at = %s WHERE id = %s"""


def store_one(cursor, *, ws: int, ch: int, contact_key: str, name: str, external_id: str, text: str) -> int | None:
    """One inbound message's statements (the caller commits). Returns the new message id, None for a duplicate."""
    now = datetime.now(UTC)
    row = cursor.execute(FIND_IDENTITY, (ch, contact_key)).fetchone()
    if row is None:
        contact_id = cursor.execute(NEW_CONTACT, (ws, name, now, now)).fetchone()[0]
        cursor.execute(NEW_IDENTITY, (ws, contact_id, ch, contact_key, now))
    else:
        contact_id = row[0]
    row = cursor.execute(FIND_OPEN, (contact_id,)).fetchone()
    conversation_id = row[0] if row else cursor.execute(NEW_CONVERSATION, (ws, contact_id, ch, now, now, now)
                                                       ).fetchone()[0]
    row = cursor.execute(NEW_MESSAGE, (ws, conversation_id, ch, text, external_id, now)).fetchone()
    if row is None:
        return None
    cursor.execute(BUMP, (now, text[:140], now, conversation_id))
    return row[0]


def worker(args) -> None:
    import psycopg
    import redis

    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    publisher = redis.Redis.from_url(os.environ["REDIS_URL"])
    target = _ingest.Target.from_args(args)
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        publisher.ping()
        _ingest.wait_for_go()
        start = time.monotonic()
        deadline, n, stored = start + args.seconds, 0, 0
        while time.monotonic() < deadline and n < args.max_messages:
            c = (n * args.processes + args.index) % args.contacts
            text = f"Benchmark message {n}"
            message_id = store_one(cursor, ws=target.workspace_id, ch=target.channel_id, contact_key=f"c{c}",
                                   name=f"Contact {c}", external_id=f"{args.run}-{args.index}-{n}", text=text)
            connection.commit()
            if message_id is not None:
                publisher.publish(f"bench.ws.{target.workspace_id}",
                                  json.dumps({"event": "message.created", "message_id": message_id}))
                stored += 1
            n += 1
        elapsed = time.monotonic() - start
    _ingest.print_result("worker", messages=stored, elapsed=elapsed)


def run(bench: _ingest.Bench, target: _ingest.Target, *, seconds: float, processes: int, contacts: int) -> dict:
    """The loop in `processes` processes at once; figures checked against the rows stored."""
    results = _ingest.run_workers("ingest_bare.py", processes, [*target.args(), f"--contacts={contacts}",
                                                                f"--run=bare{time.time_ns()}"],
                                  bench.env, seconds=seconds)
    figures = _ingest.summarize(results)
    stored = _ingest.stored_messages(target.channel_id)
    if stored != figures["messages"]:
        raise RuntimeError(f"bare loop: workers counted {figures['messages']} messages, the table has {stored}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", _ingest.DEFAULT_REDIS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--run", default="bare", help=argparse.SUPPRESS)
    parser.add_argument("--max-messages", type=int, default=10_000_000, help=argparse.SUPPRESS)
    _ingest.add_target_args(parser)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    with _ingest.bench_database(f"parley_bench_bare_{os.getpid()}", args.redis_url) as bench:
        workspace, _member = _ingest.bench_workspace()
        target = _ingest.api_channel(workspace, "Bare loop")
        figures = run(bench, target, seconds=args.seconds, processes=args.processes, contacts=args.contacts)
    print(f"bare psycopg loop: {figures['rate']:8.1f} msg/s ({figures['processes']} processes, "
          f"{figures['messages']} messages)")
    _ingest.print_result("bare", **figures)


if __name__ == "__main__":
    _ingest.run_main(main)
