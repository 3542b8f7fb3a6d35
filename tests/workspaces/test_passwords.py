"""Forgot password (throttled, emailed, never says who has an account) and changing your password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests import factories as f

NEW = "a-brand-new-pass-84"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _reset_link() -> str:
    return re.search(r"https?://[^/\s]+(/account/password/[^\s]+/)", mail.outbox[-1].body).group(1)


def test_login_page_offers_forgot_password(client, db):
    assert 'href="/login/forgot/"' in client.get("/login/").content.decode()


def test_forgot_password_emails_a_link_that_sets_the_password_and_signs_in(demo, client):
    user = demo.agent.user
    sent = client.post("/login/forgot/", {"email": user.email.upper()}, follow=True)

    assert sent.redirect_chain[-1][0] == "/login/forgot/sent/"
    message = mail.outbox[-1]
    assert message.to == [user.email] and message.alternatives  # plain text + HTML
    assert "http://127.0.0.1:8000/account/password/" in message.body  # PUBLIC_BASE_URL, not the Host header
    form_page = client.get(_reset_link(), follow=True)
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True)

    assert done.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_the_reset_link_works_once(demo, client):
    client.post("/login/forgot/", {"email": demo.agent.user.email})
    link = _reset_link()
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    client.logout()

    again = client.get(link, follow=True)

    assert "expired or was already used" in again.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db):
    sent = client.post("/login/forgot/", {"email": "nobody@example.com"}, follow=True)

    assert sent.redirect_chain[-1][0] == "/login/forgot/sent/"
    assert mail.outbox == []


def test_the_reset_email_follows_the_accounts_language(demo, client):
    user = demo.agent.user
    user.language = "es"
    user.save()

    client.post("/login/forgot/", {"email": user.email})

    assert "contraseña" in mail.outbox[-1].subject.lower()


def test_forgot_password_is_throttled_per_email(demo, client):
    for _ in range(3):
        assert client.post("/login/forgot/", {"email": demo.agent.user.email}).status_code == 302
    blocked = client.post("/login/forgot/", {"email": demo.agent.user.email})

    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "Too many" in blocked.content.decode()
    assert len(mail.outbox) == 3


def test_forgot_password_is_throttled_per_address(db, client):
    answers = [client.post("/login/forgot/", {"email": f"n{i}@example.com"}).status_code for i in range(11)]

    assert answers[:10] == [302] * 10 and answers[10] == 429


def test_changing_the_password_signs_out_every_other_session(demo, client):
    user = demo.agent.user
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get(f"/w/{demo.slug}/messages/").status_code == 200
    client.force_login(user)

    changed = client.post("/account/password/", {"old_password": f.PASSWORD, "new_password1": NEW,
                                                 "new_password2": NEW}, follow=True)

    assert changed.redirect_chain[-1][0] == "/account/password/changed/"
    assert client.get(f"/w/{demo.slug}/messages/").status_code == 200  # this tab stays signed in
    gone = elsewhere.get(f"/w/{demo.slug}/messages/")
    assert gone.status_code == 302 and gone["Location"].startswith("/login/")


def test_a_reset_signs_out_every_session(demo, client):
    user = demo.agent.user
    elsewhere = Client()
    elsewhere.force_login(user)
    client.post("/login/forgot/", {"email": user.email})
    form_page = client.get(_reset_link(), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    gone = elsewhere.get(f"/w/{demo.slug}/messages/")

    assert gone.status_code == 302 and gone["Location"].startswith("/login/")


def test_a_wrong_current_password_changes_nothing(demo, client):
    client.force_login(demo.agent.user)

    response = client.post("/account/password/", {"old_password": "wrong", "new_password1": NEW,
                                                  "new_password2": NEW})

    assert response.status_code == 200 and "incorrectly" in response.content.decode()
    demo.agent.user.refresh_from_db()
    assert demo.agent.user.check_password(f.PASSWORD)


def test_the_change_password_page_needs_a_sign_in(client, db):
    response = client.get("/account/password/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")
