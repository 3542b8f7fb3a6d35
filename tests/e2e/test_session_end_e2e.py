"""The inbox page when its live socket is closed by the server: signed out or removed, it says so and stops
reconnecting; after a role change it reconnects by itself."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from playwright.sync_api import expect

from realtime import sessions
from workspaces.models import Membership

pytestmark = pytest.mark.e2e

# Counts the sockets the page opens (a reconnect is a new one).
COUNT_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = 0;
  function Counted(url, protocols) {
    window.__sockets += 1;
    return protocols === undefined ? new Real(url) : new Real(url, protocols);
  }
  Counted.prototype = Real.prototype;
  Counted.OPEN = Real.OPEN; Counted.CLOSED = Real.CLOSED; Counted.CONNECTING = Real.CONNECTING;
  window.WebSocket = Counted;
})();
"""


def open_inbox(login_page, member):
    page = login_page(member)
    page.add_init_script(COUNT_SOCKETS)
    page.goto(f"/w/{member.workspace.slug}/messages/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def test_signing_out_in_another_tab_shows_a_notice_with_a_sign_in_link_and_stops_reconnecting(demo, login_page):
    page = open_inbox(login_page, demo.agent)
    csrf = page.evaluate("document.body.dataset.csrfToken")
    # Another tab of the same browser signs out: same cookies, the real logout form's POST.
    response = page.request.post("/logout/", headers={"X-CSRFToken": csrf}, max_redirects=0)
    assert response.status == 302

    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("You signed out. Sign in again to keep working.", timeout=3000)
    expect(notice.get_by_role("link", name="Sign in")).to_have_attribute("href", "/login/?next=%2Fw%2Fdemo%2F")
    page.wait_for_timeout(2500)  # longer than the first reconnect delay
    assert page.evaluate("window.__sockets") == 1


def test_a_role_change_reconnects_and_a_removal_says_so_and_stops(demo, login_page):
    page = open_inbox(login_page, demo.agent)
    with transaction.atomic():
        Membership.objects.filter(pk=demo.agent.pk).update(role="supervisor")
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.ROLE_CHANGED)
    deadline = time.monotonic() + 5
    while page.evaluate("window.__sockets") < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate("window.__sockets") == 2  # reconnected once, by itself
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.get_by_role("alert")).to_have_count(0)

    with transaction.atomic():
        Membership.objects.filter(pk=demo.agent.pk).delete()
        sessions.revoke_membership_sockets(user_id=demo.agent.user_id, workspace_id=demo.workspace.pk,
                                           reason=sessions.MEMBERSHIP_REMOVED)
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("You are no longer a member of this workspace.", timeout=3000)
    expect(notice.get_by_role("link", name="Go to your workspaces")).to_have_attribute("href", "/")
    page.wait_for_timeout(2500)
    assert page.evaluate("window.__sockets") == 2
