"""Inbox test helpers: inbound messages in one line, and a local webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.base import InboundMessage
from inbox.services.receiving import Received, receive_message


def inbound(workspace, channel, *, contact="ext-1", msg="m-1", text="Hola", name="Ana García", **extra) -> Received:
    return receive_message(
        workspace=workspace, channel=channel,
        inbound=InboundMessage(external_contact_id=contact, external_message_id=msg, text=text, contact_name=name,
                               **extra),
    )


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside, transaction control (the test's savepoints) left out."""
    found: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield found
    control = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
    found.extend(q["sql"] for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith(control))


class Receiver:
    """A local HTTP server that records POSTs and answers from a script of (status, headers) pairs."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.body = b"{}"  # what every answer carries
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def json(self, i: int = -1) -> dict:
        return json.loads(self.requests[i]["body"])


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
