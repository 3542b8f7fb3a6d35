"""What admins and the password reset do reaches open sockets within a second, through the real pages:
the membership admin's delete and role change, a superuser deactivating an account, a password reset."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from django.core import mail

from realtime import sessions
from tests import factories as f
from workspaces.models import Membership

from .live import Visitor, closed_within, stays_open

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MEMBERS = "/admin/workspaces/membership/"


def test_an_admin_removing_a_member_in_the_admin_closes_their_socket(server_url, demo):
    socket = Visitor(server_url).with_session(demo.agent).open_socket(demo.slug)
    admin = Visitor(server_url).sign_in(demo.admin)
    admin.http.get(f"{server_url}{MEMBERS}{demo.agent.pk}/delete/", timeout=10)

    started = time.monotonic()
    assert admin.post(f"{MEMBERS}{demo.agent.pk}/delete/", {"post": "yes"}).status_code == 302

    assert closed_within(socket, 1.0, started=started).code == sessions.CLOSE_NOT_MEMBER
    assert not Membership.objects.filter(pk=demo.agent.pk).exists()


def test_an_admin_changing_a_role_makes_the_socket_reconnect(server_url, demo):
    agent = Visitor(server_url).with_session(demo.agent)
    socket = agent.open_socket(demo.slug)
    admin = Visitor(server_url).sign_in(demo.admin)
    admin.http.get(f"{server_url}{MEMBERS}{demo.agent.pk}/change/", timeout=10)

    started = time.monotonic()
    assert admin.post(f"{MEMBERS}{demo.agent.pk}/change/", {"role": "supervisor"}).status_code == 302

    assert closed_within(socket, 1.0, started=started).code == sessions.CLOSE_RECONNECT
    agent.open_socket(demo.slug).close()  # still a member: the new socket is accepted


def test_a_superuser_deactivating_an_account_closes_its_sockets(server_url, demo):
    socket = Visitor(server_url).with_session(demo.agent).open_socket(demo.slug)
    root = Visitor(server_url).sign_in(SimpleNamespace(user=f.make_user(is_staff=True, is_superuser=True)))
    user = demo.agent.user
    url = f"/admin/workspaces/user/{user.pk}/change/"
    root.http.get(f"{server_url}{url}", timeout=10)

    started = time.monotonic()
    answer = root.post(url, {"email": user.email, "display_name": user.display_name, "first_name": "",
                             "last_name": "", "language": "en", "is_staff": "", "is_superuser": ""})
    assert answer.status_code == 302, answer.text[:800]

    assert closed_within(socket, 1.0, started=started).code == sessions.CLOSE_SESSION_ENDED
    user.refresh_from_db()
    assert not user.is_active


def test_a_password_reset_closes_every_socket_of_the_account(server_url, demo):
    socket = Visitor(server_url).with_session(demo.agent).open_socket(demo.slug)
    browser = Visitor(server_url)
    browser.http.get(f"{server_url}/login/forgot/", timeout=10)
    assert browser.post("/login/forgot/", {"email": demo.agent.user.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/account/password/[^\s]+/)", mail.outbox[-1].body).group(1)
    form_url = browser.http.get(f"{server_url}{link}", timeout=10).url

    started = time.monotonic()
    done = browser.http.post(form_url, data={"new_password1": "Sturdy-new-pass-42", "new_password2":
                                             "Sturdy-new-pass-42", "csrfmiddlewaretoken": browser.csrf},
                             allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text[:500]

    assert closed_within(socket, 1.0, started=started).code == sessions.CLOSE_SESSION_ENDED
    assert stays_open(browser.open_socket(demo.slug), 0.3)  # the browser that reset it is signed in anew
