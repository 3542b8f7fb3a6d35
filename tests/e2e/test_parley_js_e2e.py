"""static/js/parley.js, the helpers every page script shares, in a real browser against the real server:
the one CSRF path (fetch and htmx read the token from <body data-csrf-token>) and the live socket
(resume on every open, ping answered and swallowed, back-off between failures, stop for good)."""

from __future__ import annotations

import json
import time

import pytest
from django.db import transaction
from playwright.sync_api import expect

from realtime import sessions
from tests import factories as f
from workspaces.models import Membership

pytestmark = pytest.mark.e2e

# Records every socket the page opens, what it sends, what it receives, and when it was opened.
RECORD_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__opened = []; window.__sent = []; window.__received = [];
  function Recorded(url, protocols) {
    const socket = protocols === undefined ? new Real(url) : new Real(url, protocols);
    window.__opened.push({ url: url, at: performance.now() });
    const send = socket.send.bind(socket);
    socket.send = (data) => { window.__sent.push(data); send(data); };
    socket.addEventListener("message", (e) => window.__received.push(e.data));
    return socket;
  }
  Recorded.prototype = Real.prototype;
  Recorded.OPEN = Real.OPEN; Recorded.CLOSED = Real.CLOSED; Recorded.CONNECTING = Real.CONNECTING;
  window.WebSocket = Recorded;
})();
"""

# A second socket to the agents' endpoint, driven through Parley.socket with every hook recorded.
OPEN_HELPER_SOCKET = """(path) => {
  window.__hooks = [];
  window.__helper = Parley.socket(path, {
    pingSeconds: 0.3,
    resume: (reconnected) => ({ type: "resume", after: reconnected ? 7 : 0 }),
    onopen: (reconnected) => window.__hooks.push(["open", reconnected]),
    onmessage: (msg) => window.__hooks.push(["message", msg.event]),
    onclose: (e) => { window.__hooks.push(["close", e.code]); }
  });
}"""


def wait_until(page, expression: str, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"not true in time: {expression}")


def test_fetch_and_htmx_posts_carry_the_csrf_token_from_the_body_and_a_bare_post_is_refused(demo, login_page):
    conversation = f.make_conversation(demo.workspace)
    page = login_page(demo.agent)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    read_url = f"/w/{demo.slug}/messages/{conversation.pk}/read/"

    assert page.evaluate("(url) => fetch(url, {method: 'POST', credentials: 'same-origin'}).then(r => r.status)",
                         read_url) == 403  # CSRF is enforced: a post without the token is refused
    assert page.evaluate("(url) => Parley.post(url).then(r => r.status)", read_url) == 204
    htmx_status = page.evaluate("""(url) => new Promise((resolve) => {
      document.body.addEventListener("htmx:afterRequest", (e) => resolve(e.detail.xhr.status), { once: true });
      htmx.ajax("POST", url, { source: document.body, swap: "none" });
    })""", read_url)
    assert htmx_status == 204
    assert page.locator("body[hx-headers]").count() == 0  # one path: the token is rendered once


def test_the_socket_resumes_on_every_open_swallows_pongs_and_reconnects_after_a_server_close(demo, login_page):
    page = login_page(demo.agent)
    page.add_init_script(RECORD_SOCKETS)
    page.goto(f"/w/{demo.slug}/messages/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate(OPEN_HELPER_SOCKET, f"/ws/w/{demo.slug}/")

    wait_until(page, "window.__hooks.some(h => h[0] === 'open')")
    wait_until(page, "window.__received.filter(m => JSON.parse(m).event === 'pong').length >= 2")
    sent = [json.loads(data) for data in page.evaluate("window.__sent")]
    assert {"type": "resume", "after": 0} in sent  # sent on open, before any ping of that socket
    assert sent.index({"type": "resume", "after": 0}) < sent.index({"type": "ping"})
    hooks = page.evaluate("window.__hooks")
    assert ["open", False] in hooks and ["message", "hello"] in hooks
    assert ["message", "pong"] not in hooks  # the helper answers for liveness; pages never see pongs

    # The server asks every socket of this member to reconnect (a role change closes with 4000).
    with transaction.atomic():
        Membership.objects.filter(pk=demo.agent.pk).update(role="supervisor")
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.ROLE_CHANGED)
    wait_until(page, "window.__hooks.some(h => h[0] === 'open' && h[1] === true)")
    assert ["close", 4000] in page.evaluate("window.__hooks")
    assert {"type": "resume", "after": 7} in [json.loads(data) for data in page.evaluate("window.__sent")]
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")  # the page's own socket too


def test_the_socket_backs_off_exponentially_while_refused_and_stop_ends_the_retries(demo, login_page):
    page = login_page(demo.agent)
    page.add_init_script(RECORD_SOCKETS)
    page.goto(f"/w/{demo.slug}/messages/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate(OPEN_HELPER_SOCKET, "/no-such-ws/")
    attempts = "window.__opened.filter(o => o.url.includes('/no-such-ws/'))"  # not the page's own socket

    wait_until(page, attempts + ".length >= 3", timeout=10)
    page.evaluate("window.__helper.stop()")
    opened = page.evaluate(attempts + ".map(o => o.at)")
    first_gap, second_gap = opened[1] - opened[0], opened[2] - opened[1]
    assert 1000 <= first_gap < 1300 + 500  # 500 · 2¹ + jitter (≤ 300), with room for a failed handshake
    assert 2000 <= second_gap < 2300 + 500  # doubled
    assert all(h[0] != "open" for h in page.evaluate("window.__hooks"))
    count = len(opened)
    page.wait_for_timeout(4500)  # longer than the next delay would have been
    assert page.evaluate(attempts + ".length") == count
