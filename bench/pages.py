"""Server time and query counts of the queue, conversation and contacts pages on a large workspace.

Fills a workspace with --conversations open/closed conversations and --messages messages (bulk
inserts, once; reused on later runs), then times each page with Django's test client.
    .venv/bin/python bench/pages.py [--conversations 100000] [--messages 1000000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from urllib.parse import quote

from _setup import setup

SLUG = "bench-pages"


def populate(n_conv: int, n_msg: int):
    from django.utils import timezone

    from contacts.models import Contact, ContactIdentity
    from inbox.models import Channel, ClosingNote, Conversation, Message
    from workspaces.models import Membership, User, Workspace

    workspace = Workspace.objects.filter(slug=SLUG).first()
    if workspace and Conversation.objects.for_workspace(workspace).count() >= n_conv:
        member = Membership.objects.for_workspace(workspace).first()
        Membership.objects.filter(pk=member.pk).update(role="supervisor")  # the review page needs it
        if not ClosingNote.objects.for_workspace(workspace).exists():  # filled by an older version of this script
            _close_notes(workspace, member)
        return workspace, member
    if workspace:
        workspace.delete()
    workspace = Workspace.objects.create(name="Bench pages", slug=SLUG)
    user, _ = User.objects.get_or_create(email="bench-pages@example.test")
    member = Membership.objects.create(workspace=workspace, user=user, role="supervisor")
    channel = Channel.objects.create(workspace=workspace, kind="api", name="Bench")
    now = timezone.now()
    batch = 5000
    print(f"populating {n_conv} conversations and {n_msg} messages …", flush=True)
    for start in range(0, n_conv, batch):
        size = min(batch, n_conv - start)
        contacts = Contact.objects.bulk_create(
            [Contact(workspace=workspace, name=f"Contact {start + i}", phone=f"+3460{start + i:07d}")
             for i in range(size)])
        ContactIdentity.objects.bulk_create(
            [ContactIdentity(workspace=workspace, contact=c, channel=channel, external_id=f"e{c.pk}")
             for c in contacts])
        Conversation.objects.bulk_create([
            Conversation(workspace=workspace, contact=c, channel=channel,
                         status="open" if (start + i) % 3 else "closed",
                         assignee=member if (start + i) % 5 == 0 else None,
                         opened_at=now - timedelta(minutes=start + i),
                         last_activity_at=now - timedelta(minutes=start + i),
                         closed_at=None if (start + i) % 3 else now - timedelta(minutes=start + i),
                         last_message_preview="Hello there")
            for i, c in enumerate(contacts)])
    conv_ids = list(Conversation.objects.for_workspace(workspace).values_list("id", flat=True))
    per = max(1, n_msg // max(1, len(conv_ids)))
    rows = []
    for cid in conv_ids:
        for j in range(per):
            rows.append(Message(workspace=workspace, conversation_id=cid, channel=channel, direction="in",
                                sender_type="contact", body=f"Message {j}", status="received", created_at=now))
        if len(rows) >= 20000:
            Message.objects.bulk_create(rows)
            rows = []
    Message.objects.bulk_create(rows)
    _close_notes(workspace, member)
    return workspace, member


def _close_notes(workspace, member) -> None:
    """Closed conversations get closed_at, a closing note and their log (assigned, closed), as the review reads."""
    from django.db.models import F

    from inbox.models import ClosingCategory, ClosingNote, Conversation, ConversationEvent

    closed = Conversation.objects.for_workspace(workspace).filter(status="closed")
    closed.filter(closed_at__isnull=True).update(closed_at=F("last_activity_at"))
    category, _ = ClosingCategory.objects.get_or_create(workspace=workspace, name="Resolved")
    rows = list(closed.values_list("id", "closed_at"))
    for start in range(0, len(rows), 5000):
        batch = rows[start:start + 5000]
        notes = ClosingNote.objects.bulk_create([
            ClosingNote(workspace=workspace, conversation_id=cid, category=category, author=member,
                        summary=f"Answered the question about order {cid}.") for cid, _when in batch])
        ConversationEvent.objects.bulk_create([
            event for (cid, when), note in zip(batch, notes, strict=True) for event in (
                ConversationEvent(workspace=workspace, conversation_id=cid, kind="assigned", actor=member,
                                  assignee=member, created_at=when - timedelta(minutes=1)),
                ConversationEvent(workspace=workspace, conversation_id=cid, kind="closed", actor=member,
                                  closing_note=note, created_at=when))])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inbox.models import Conversation

    workspace, member = populate(args.conversations, args.messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    conversation = Conversation.objects.for_workspace(workspace).filter(status="open").order_by("-id").first()
    client = Client()
    client.force_login(member.user)
    pages = {
        "queue (All)": f"/w/{SLUG}/messages/?tab=all",
        "queue (Mine)": f"/w/{SLUG}/messages/?tab=mine",
        "queue panel, 2nd page": None,
        "conversation": f"/w/{SLUG}/messages/{conversation.pk}/",
        "contacts": f"/w/{SLUG}/contacts/",
        "contacts search": f"/w/{SLUG}/contacts/?q=Contact%2099",
        "review": f"/w/{SLUG}/review/",
        "review, 2nd page": None,
        "review search": f"/w/{SLUG}/review/?q=order%2099",
        "review by assignee": f"/w/{SLUG}/review/?assignee={member.pk}",
        "review conversation": None,
        "reports (30 days)": f"/w/{SLUG}/reports/",
    }
    from inbox.selectors import queue

    first = queue(workspace=workspace, member=member, tab="all")
    pages["queue panel, 2nd page"] = f"/w/{SLUG}/messages/queue/?tab=all&after={first.next_cursor}"
    from reports.review_selectors import ReviewFilters, review_page

    reviewed = review_page(workspace=workspace, filters=ReviewFilters())
    pages["review, 2nd page"] = f"/w/{SLUG}/review/?after={quote(reviewed.next_cursor)}"
    pages["review conversation"] = f"/w/{SLUG}/review/{reviewed.rows[0].pk}/"
    print(f"{'page':24} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, url in pages.items():
        times = []
        for _ in range(args.rounds):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{name:24} {statistics.median(times):10.1f} {p95:8.1f} {len(queries):8d}")


if __name__ == "__main__":
    main()
