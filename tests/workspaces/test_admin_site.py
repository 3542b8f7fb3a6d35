"""The admin's sign-in door: `next` stays on this site, and members who are not admins get the 403 page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example",
            "http://testserver.evil.example/"]


def _same_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_signed_in_admin_is_never_sent_off_site(demo, client_for, target):
    response = client_for(demo.admin).get("/admin/login/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_through_the_admin_ends_on_this_site(demo, client, target):
    response = client.get("/admin/login/", {"next": target})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "evil" not in response["Location"]  # the off-site target is dropped before the login page

    signed_in = client.post(response["Location"], {"username": demo.admin.user.email, "password": f.PASSWORD})
    assert signed_in.status_code == 302 and _same_site(signed_in["Location"])
    assert "evil" not in signed_in["Location"]


def test_a_same_site_next_is_kept(demo, client_for):
    target = reverse("admin:inbox_channel_changelist")
    response = client_for(demo.admin).get("/admin/login/", {"next": target})
    assert response["Location"] == target


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_a_member_who_is_not_an_admin_gets_the_403_page_not_a_redirect_loop(demo, client_for, role):
    client = client_for(getattr(demo, role))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert response.redirect_chain == []  # the 403 page at once: no detour through any login page
    html = response.content.decode()
    assert "Not allowed" in html and "Go to your inbox" in html  # the shared error page

    direct = client.get("/admin/login/", {"next": "/admin/"})
    assert direct.status_code == 403


def test_an_anonymous_visitor_opening_the_admin_is_sent_to_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert "<form" in response.content.decode()


def test_the_admins_log_out_is_parleys_and_ends_the_session(demo, client_for):
    client = client_for(demo.admin)

    response = client.post("/admin/logout/")

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_admins_change_password_link_opens_parleys_form(demo, client_for):
    response = client_for(demo.admin).get("/admin/password_change/")

    assert response.status_code == 302 and response["Location"] == "/account/password/"
