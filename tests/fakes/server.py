"""A scriptable fake HTTP service on 127.0.0.1 in a thread: records every request, answers like a provider."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON; bytes → as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body if self.body is not None else {}).encode()


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
        """(fields, files) of a multipart or urlencoded body; files are name → (filename, content type, bytes)."""
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode())), {}
        if self.content_type != "multipart/form-data":
            return {}, {}
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(head + self.body)
        fields, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = (part.get_filename(), part.get_content_type(), payload)
            else:
                fields[name] = payload.decode()
        return fields, files

    def params(self) -> dict[str, Any]:
        """Call parameters however they were sent: JSON, form fields or the query string."""
        if self.content_type == "application/json":
            return self.json or {}
        fields, _files = self.form()
        return {**self.query, **fields}

    @property
    def bearer(self) -> str:
        scheme, _sep, token = self.headers.get("Authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" else ""


class FakeServer:
    """Subclasses implement `handle(request) -> Reply`; tests script exceptions with `script()`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripts: list[tuple[str, Reply]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body)
                reply = fake._reply(recorded)
                data = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, path_suffix: str, *replies: Reply) -> None:
        """The next requests whose path ends with path_suffix get these replies, in order, before normal service."""
        with self._lock:
            self._scripts.extend((path_suffix, reply) for reply in replies)

    def calls(self, path_suffix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def _reply(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            for i, (suffix, reply) in enumerate(self._scripts):
                if recorded.path.endswith(suffix):
                    del self._scripts[i]
                    return reply
        try:
            return self.handle(recorded)
        except Exception as exc:  # a bug in the fake must show up, not hang the client
            return Reply(599, {"fake_error": repr(exc)})

    def handle(self, request: Recorded) -> Reply:
        """Subclasses answer like the real service; the base answers every unscripted request 404."""
        return Reply(404, {"error": f"no fake route for {request.method} {request.path}"})
