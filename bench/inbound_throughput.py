"""Inbound throughput: new messages through receive_message and through the API webhook view.

Prints messages per second and SQL statements per message. Needs PostgreSQL (DATABASE_URL, default
a parley_bench database on 127.0.0.1) and Redis for the live pushes. Usage:
    .venv/bin/python bench/inbound_throughput.py [--messages 2000]
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import fresh_workspace, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from connectors.base import InboundMessage
    from inbox.models import Channel
    from inbox.services.receiving import receive_message

    workspace, _member = fresh_workspace("bench-inbound")
    channel = Channel.objects.create(workspace=workspace, kind="api", name="Bench API")
    n = args.messages

    def run_service(prefix: str, contacts: int) -> tuple[float, float]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            for i in range(n):
                receive_message(workspace=workspace, channel=channel, inbound=InboundMessage(
                    external_contact_id=f"{prefix}-c{i % contacts}", external_message_id=f"{prefix}-m{i}",
                    text=f"Message {i}", contact_name=f"Contact {i % contacts}"))
            elapsed = time.perf_counter() - start
        return n / elapsed, len(queries) / n

    rate, per = run_service("new", n)
    print(f"receive_message, every message a new contact: {rate:8.1f} msg/s, {per:.1f} SQL statements/message")
    rate, per = run_service("same", 50)
    print(f"receive_message, 50 returning contacts:       {rate:8.1f} msg/s, {per:.1f} SQL statements/message")

    client = Client()
    start = time.perf_counter()
    for i in range(n):
        body = {"contact": {"id": f"http-c{i}", "name": "Web"}, "message": {"id": f"http-m{i}", "text": "hi"}}
        response = client.post(f"/hooks/api/{channel.uuid}/", data=json.dumps(body), content_type="application/json",
                               headers={"Authorization": f"Bearer {channel.token}"})
        assert response.status_code == 200, response.content
    elapsed = time.perf_counter() - start
    print(f"API webhook view (in-process client):         {n / elapsed:8.1f} msg/s, "
          f"{1000 * elapsed / n:.2f} ms per request")
    start = time.perf_counter()
    for i in range(n):
        body = {"contact": {"id": f"http-c{i}"}, "message": {"id": f"http-m{i}", "text": "hi"}}
        client.post(f"/hooks/api/{channel.uuid}/", data=json.dumps(body), content_type="application/json",
                    headers={"Authorization": f"Bearer {channel.token}"})
    elapsed = time.perf_counter() - start
    print(f"API webhook view, all duplicates:             {n / elapsed:8.1f} msg/s")


if __name__ == "__main__":
    main()
