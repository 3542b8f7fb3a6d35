"""Signing in with a real browser: the form, the landing page, role-dependent navigation, a11y, CSP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_agent_signs_in_through_the_form_and_lands_in_the_workspace(demo, new_page, axe_check, browser_log):
    page = new_page()
    page.goto("/login/")
    axe_check(page, min_impact="minor")  # the login page is clean of every axe rule: keep it so

    page.get_by_label("Email").fill(demo.agent.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"/w/{demo.slug}/messages/$"))
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Contacts", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Review", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    axe_check(page)
    assert browser_log.csp_violations() == []


@pytest.mark.parametrize(
    ("role", "sees_review", "sees_admin"),
    [("agent", False, False), ("supervisor", True, False), ("admin", True, True)],
)
def test_navigation_depends_on_the_role(demo, login_page, role, sees_review, sees_admin):
    page = login_page(getattr(demo, role))

    for name in ("Messages", "Contacts"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name, visible in (("Review", sees_review), ("Admin", sees_admin)):
        link = page.get_by_role("link", name=name, exact=True)
        if visible:
            expect(link).to_be_visible()
        else:
            expect(link).to_have_count(0)


def test_wrong_password_shows_an_error_and_stays_signed_out(demo, new_page, axe_check):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("Email").fill(demo.agent.user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("alert")).to_contain_text("password")
    expect(page.get_by_role("link", name="Messages", exact=True)).to_have_count(0)
    axe_check(page, min_impact="minor")


def test_keyboard_reaches_email_password_and_sign_in_in_order(demo, new_page):
    page = new_page()
    page.goto("/login/")
    email = page.get_by_label("Email")
    password = page.get_by_label("Password")
    sign_in = page.get_by_role("button", name="Sign in")
    expect(email).to_be_focused()  # autofocus: typing can start at once

    # From the top of the card (a click on the heading moves focus to <main>), Tab walks the form.
    page.get_by_role("heading", name="Parley").click()
    expect(email).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type(demo.agent.user.email)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(sign_in).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/w/{demo.slug}/messages/$"))
