"""A real client for the real server: HTTP sign-in with `requests`, websockets with `websockets`.

    agent = Visitor(server_url).sign_in(demo.agent)      # POST /login/ as a browser would (or .with_session)
    socket = agent.open_socket(demo.slug)                 # /ws/w/demo/ with that session's cookie
    agent.post("/logout/")
    ended = closed_within(socket, 1.0)                    # the close code, the time it took, what came before
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.factories import PASSWORD


class Visitor:
    """One browser: its own cookie jar, so each Visitor that signs in is a separate session."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the environment for 127.0.0.1

    def sign_in(self, membership) -> Visitor:
        self.http.get(f"{self.base_url}/login/", timeout=10).raise_for_status()
        response = self.http.post(
            f"{self.base_url}/login/",
            data={"username": membership.user.email, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf},
            allow_redirects=False, timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        assert self.session_key, "no session cookie after signing in"
        return self

    def with_session(self, membership) -> Visitor:
        """Signed in without the form (a fresh session in the session store, as a sign-in makes)."""
        from django.test import Client

        client = Client()
        client.force_login(membership.user)
        self.http.cookies.set("sessionid", client.cookies["sessionid"].value)
        return self

    @property
    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    @property
    def session_key(self) -> str | None:
        return self.http.cookies.get("sessionid")

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        return self.http.post(f"{self.base_url}{path}", data={"csrfmiddlewaretoken": self.csrf, **(data or {})},
                              headers={"X-CSRFToken": self.csrf}, allow_redirects=False, timeout=10)

    def connect(self, slug: str) -> ClientConnection:
        """Open /ws/w/<slug>/ with this browser's cookie. Raises InvalidStatus when refused."""
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        ws_url = self.base_url.replace("http://", "ws://") + f"/ws/w/{slug}/"
        return connect(ws_url, origin=self.base_url, additional_headers={"Cookie": cookie}, proxy=None,
                       open_timeout=5, close_timeout=2, legacy=True)

    def open_socket(self, slug: str) -> ClientConnection:
        socket = self.connect(slug)
        hello = receive(socket, timeout=5)
        assert hello["event"] == "hello", hello
        return socket


def receive(socket: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def receive_until(socket: ClientConnection, event: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = receive(socket, timeout=max(0.05, deadline - time.monotonic()))
        if message["event"] == event:
            return message


def stays_open(socket: ClientConnection, seconds: float = 0.5) -> bool:
    """True when nothing closes the socket for `seconds` (frames received meanwhile are ignored)."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            socket.recv(timeout=left)
    except TimeoutError:
        return True
    except ConnectionClosed:
        return False
    return True


@dataclass
class Closed:
    code: int | None
    seconds: float
    events: list[dict] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [event["event"] for event in self.events]


def closed_within(socket: ClientConnection, seconds: float, *, started: float | None = None) -> Closed:
    """Wait for the server to close the socket; fail when it is still open after `seconds`."""
    started = time.monotonic() if started is None else started
    received: list[dict] = []
    try:
        while True:
            left = started + seconds - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the socket was still open after {seconds} s (received {received})")
            received.append(json.loads(socket.recv(timeout=left)))
    except TimeoutError as exc:
        raise AssertionError(f"the socket was still open after {seconds} s (received {received})") from exc
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
        return Closed(code=code, seconds=time.monotonic() - started, events=received)


def refused_status(visitor: Visitor, slug: str) -> int:
    """The HTTP status a refused websocket handshake answered; fails when the socket was accepted."""
    try:
        socket = visitor.connect(slug)
    except InvalidStatus as refused:
        return refused.response.status_code
    socket.close()
    raise AssertionError("the socket was accepted")
