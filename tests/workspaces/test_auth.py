"""Signing in and out, reaching workspaces, and the per-user language choice."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories as f
from workspaces.models import Membership

pytestmark = pytest.mark.django_db


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _login(client, email: str, password: str = f.PASSWORD, next_url: str | None = None):
    path = "/login/" if next_url is None else f"/login/?next={next_url}"
    data = {"username": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(path, data)


# --- signing in and out -------------------------------------------------------------------------------


def test_login_page_shows_an_email_and_password_form(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="email"' in html
    assert 'type="password"' in html


def test_email_and_password_sign_in(client, demo):
    response = _login(client, demo.agent.user.email)

    assert response.status_code == 302
    assert _signed_in(client)
    assert int(client.session["_auth_user_id"]) == demo.agent.user.pk


def test_email_is_matched_case_insensitively(client, demo):
    member = f.make_member(demo.workspace, "agent", email="Mixed.Case@Example.test")

    response = _login(client, "  MIXED.case@EXAMPLE.TEST ")

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.user.pk


def test_wrong_password_shows_the_form_again_with_an_error(client, demo):
    response = _login(client, demo.agent.user.email, password="not-the-password")

    assert response.status_code == 200
    assert not _signed_in(client)
    assert 'role="alert"' in response.content.decode()


def test_unknown_email_shows_the_same_error_not_a_server_error(client, db):
    response = _login(client, "nobody@example.test", password="whatever-it-is")

    assert response.status_code == 200
    assert not _signed_in(client)


def test_malformed_login_post_is_a_form_error_not_a_server_error(client, db):
    response = client.post("/login/", {"username": "not an email\x00", "password": ""})

    assert response.status_code == 200
    assert not _signed_in(client)


def test_logout_by_post_signs_out(client, demo):
    _login(client, demo.agent.user.email)
    assert _signed_in(client)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert urlsplit(response.url).path == "/login/"
    assert not _signed_in(client)
    assert client.get(f"/w/{demo.slug}/messages/").status_code == 302


def test_logout_by_get_is_refused_and_keeps_the_session(client_for, demo):
    client = client_for(demo.agent)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert _signed_in(client)


def test_unsafe_next_after_login_is_not_followed(client, demo):
    response = _login(client, demo.agent.user.email, next_url="https://evil.example/")

    assert response.status_code == 302
    assert _signed_in(client)
    assert "evil.example" not in response.url


def test_safe_next_after_login_is_followed(client, demo):
    response = _login(client, demo.agent.user.email, next_url=f"/w/{demo.slug}/messages/")

    assert response.status_code == 302
    assert response.url == f"/w/{demo.slug}/messages/"


# --- reaching workspaces ------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_with_next(client, demo):
    response = client.get(f"/w/{demo.slug}/messages/")

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.path == "/login/"
    assert parse_qs(target.query)["next"] == [f"/w/{demo.slug}/messages/"]


def test_anonymous_visitor_of_an_unknown_workspace_also_gets_the_login_page(client, db):
    response = client.get("/w/no-such-workspace/messages/")

    assert response.status_code == 302
    assert urlsplit(response.url).path == "/login/"


def test_signed_in_non_member_gets_404_for_another_workspace(client_for, demo, other):
    client = client_for(demo.agent)

    assert client.get(f"/w/{other.slug}/messages/").status_code == 404
    assert client.get(f"/w/{other.slug}/").status_code == 404


def test_unknown_workspace_is_404_like_a_foreign_one(client_for, demo):
    assert client_for(demo.agent).get("/w/no-such-workspace/messages/").status_code == 404


def test_member_reaches_their_workspace_inbox(client_for, demo):
    response = client_for(demo.agent).get(f"/w/{demo.slug}/messages/")

    assert response.status_code == 200


def test_one_workspace_user_is_sent_from_home_to_their_workspace(client_for, demo, other):
    client = client_for(demo.agent)

    response = client.get("/", follow=True)

    assert response.status_code == 200
    first_hop = response.redirect_chain[0][0]
    assert first_hop.startswith(f"/w/{demo.slug}/")
    assert response.request["PATH_INFO"] == f"/w/{demo.slug}/messages/"


def test_user_in_two_workspaces_picks_one_at_home_and_reaches_each(client_for, demo, other):
    Membership.objects.create(workspace=other.workspace, user=demo.agent.user, role=Membership.Role.AGENT)
    client = client_for(demo.agent)

    picker = client.get("/")

    assert picker.status_code == 200
    html = picker.content.decode()
    assert demo.workspace.name in html and other.workspace.name in html
    for team in (demo, other):
        assert f'href="/w/{team.slug}/"' in html
        landing = client.get(f"/w/{team.slug}/", follow=True)
        assert landing.status_code == 200
        assert landing.request["PATH_INFO"] == f"/w/{team.slug}/messages/"


def test_home_requires_sign_in(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert urlsplit(response.url).path == "/login/"


# --- language -----------------------------------------------------------------------------------------


def test_choosing_spanish_is_stored_on_the_user_and_used_on_the_next_page(client_for, demo):
    client = client_for(demo.agent)
    next_url = f"/w/{demo.slug}/messages/"

    response = client.post("/account/language/", {"language": "es", "next": next_url})

    assert response.status_code == 302
    assert response.url == next_url
    demo.agent.user.refresh_from_db()
    assert demo.agent.user.language == "es"
    page = client.get(next_url)
    assert '<html lang="es">' in page.content.decode()


def test_language_choice_survives_a_new_session(client, demo):
    demo.agent.user.language = "es"
    demo.agent.user.save(update_fields=["language"])

    _login(client, demo.agent.user.email)
    page = client.get(f"/w/{demo.slug}/messages/")

    assert '<html lang="es">' in page.content.decode()


def test_language_change_does_not_follow_an_unsafe_next(client_for, demo):
    client = client_for(demo.agent)

    response = client.post("/account/language/", {"language": "es", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response.url
    assert urlsplit(response.url).netloc in {"", "testserver"}


def test_unknown_language_is_not_stored(client_for, demo):
    client = client_for(demo.agent)

    client.post("/account/language/", {"language": "xx", "next": "/"})

    demo.agent.user.refresh_from_db()
    assert demo.agent.user.language == ""  # still "not chosen": the browser's language stands


def test_language_change_needs_post(client_for, demo):
    assert client_for(demo.agent).get("/account/language/").status_code == 405
