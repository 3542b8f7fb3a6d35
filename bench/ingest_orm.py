"""The naive ORM floor: the same inbound work written the obvious Django way, in N processes for S seconds.

Per message: look up the identity (with its contact) or create contact and identity, get_or_create the open
conversation (locked), create the message (the unique external id per channel is the dedupe: a duplicate rolls
the transaction back), bump the conversation, commit, then PUBLISH a small payload with redis-py. DEBUG is off,
as in production (no query log kept).

Usage (alone it makes its own database; ingest.py runs it in the same run as Parley):
    .venv/bin/python bench/ingest_orm.py [--seconds 15] [--processes 2] [--contacts 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import _ingest
from _setup import ROOT


def worker(args) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.db import IntegrityError, transaction
    from django.db.models import F
    from django.utils import timezone

    from contacts.models import Contact, ContactIdentity
    from inbox.models import Channel, Conversation, Message

    publisher = redis.Redis.from_url(os.environ["REDIS_URL"])
    publisher.ping()
    channel = Channel.objects.select_related("workspace").get(pk=args.channel_id)
    workspace = channel.workspace

    def store_one(contact_key: str, name: str, external_id: str, text: str) -> Message | None:
        now = timezone.now()
        try:
            message = _store(contact_key, name, external_id, text, now)
        except IntegrityError:  # already stored (or a lost race): nothing was written
            return None
        payload = {"event": "message.created", "message_id": message.pk}
        publisher.publish(f"bench.ws.{workspace.pk}", json.dumps(payload))
        return message

    def _store(contact_key: str, name: str, external_id: str, text: str, now) -> Message:
        with transaction.atomic():
            identity = ContactIdentity.objects.select_related("contact").filter(
                channel=channel, external_id=contact_key).first()
            if identity is None:
                contact = Contact.objects.create(workspace=workspace, name=name)
                ContactIdentity.objects.create(workspace=workspace, contact=contact, channel=channel,
                                               external_id=contact_key)
            else:
                contact = identity.contact
            conversation, _opened = Conversation.objects.select_for_update().get_or_create(
                workspace=workspace, contact=contact, status="open",
                defaults={"channel": channel, "opened_at": now, "last_activity_at": now})
            message = Message.objects.create(
                workspace=workspace, conversation=conversation, channel=channel, direction="in", kind="text",
                sender_type="contact", body=text, status="received", external_id=external_id, created_at=now)
            Conversation.objects.filter(pk=conversation.pk).update(
                last_activity_at=now, unread_count=F("unread_count") + 1, last_message_preview=text[:140])
        return message

    _ingest.wait_for_go()
    start = time.monotonic()
    deadline, n, stored = start + args.seconds, 0, 0
    while time.monotonic() < deadline and n < args.max_messages:
        c = (n * args.processes + args.index) % args.contacts
        message = store_one(f"c{c}", f"Contact {c}", f"{args.run}-{args.index}-{n}", f"Benchmark message {n}")
        stored += message is not None
        n += 1
    _ingest.print_result("worker", messages=stored, elapsed=time.monotonic() - start)


def run(bench: _ingest.Bench, target: _ingest.Target, *, seconds: float, processes: int, contacts: int) -> dict:
    """The loop in `processes` processes at once; figures checked against the rows stored."""
    results = _ingest.run_workers("ingest_orm.py", processes, [*target.args(), f"--contacts={contacts}",
                                                               f"--run=orm{time.time_ns()}"],
                                  bench.env, seconds=seconds)
    figures = _ingest.summarize(results)
    stored = _ingest.stored_messages(target.channel_id)
    if stored != figures["messages"]:
        raise RuntimeError(f"ORM loop: workers counted {figures['messages']} messages, the table has {stored}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", _ingest.DEFAULT_REDIS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--run", default="orm", help=argparse.SUPPRESS)
    parser.add_argument("--max-messages", type=int, default=10_000_000, help=argparse.SUPPRESS)
    _ingest.add_target_args(parser)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    with _ingest.bench_database(f"parley_bench_orm_{os.getpid()}", args.redis_url) as bench:
        workspace, _member = _ingest.bench_workspace()
        target = _ingest.api_channel(workspace, "ORM loop")
        figures = run(bench, target, seconds=args.seconds, processes=args.processes, contacts=args.contacts)
    print(f"naive ORM loop: {figures['rate']:8.1f} msg/s ({figures['processes']} processes, "
          f"{figures['messages']} messages)")
    _ingest.print_result("orm", **figures)


if __name__ == "__main__":
    _ingest.run_main(main)
