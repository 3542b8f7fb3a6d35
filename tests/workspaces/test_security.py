"""Security baseline seen from the browser: script policy, no inline behaviour, login throttling."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings

from tests import factories as f

pytestmark = pytest.mark.django_db


# --- Content-Security-Policy --------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _script_sources(response) -> list[str]:
    csp = _csp(response)
    assert csp, "no Content-Security-Policy header"
    return csp.get("script-src", csp.get("default-src"))


def test_login_page_script_policy_forbids_inline_script_and_eval(client):
    sources = _script_sources(client.get("/login/"))

    assert sources, "script-src (or default-src) must be set"
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    assert "*" not in sources


def test_signed_in_page_script_policy_forbids_inline_script_and_eval(client_for, demo):
    response = client_for(demo.agent).get(f"/w/{demo.slug}/messages/")

    assert response.status_code == 200
    sources = _script_sources(response)
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources


def test_policy_forbids_plugins_and_framing(client):
    csp = _csp(client.get("/login/"))

    assert csp.get("object-src") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"]


def test_pages_send_nosniff_and_deny_framing(client):
    response = client.get("/login/")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


# --- no inline behaviour in the HTML ------------------------------------------------------------------


class _InlineBehaviour(HTMLParser):
    """Collects everything a strict script policy would block (or that needs one to be loosened)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            name = name.lower()
            bare = name.removeprefix("data-")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> inline event handler")
            if bare.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=...> hx-on attribute")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self.scripts += 1
            self._in_script = True
            if not dict(attrs).get("src"):
                self.problems.append("<script> without src (inline script)")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"<script> with inline code: {data.strip()[:60]!r}")


def _inline_behaviour(html: str) -> _InlineBehaviour:
    parser = _InlineBehaviour()
    parser.feed(html)
    parser.close()
    return parser


def test_the_checker_itself_catches_inline_script_handlers_and_hx_on():
    found = _inline_behaviour(
        '<script>alert(1)</script><button onclick="x()">b</button><div hx-on:click="y()"></div>'
        '<div data-hx-on-click="z"></div><a href="javascript:void(0)">a</a><script src="/ok.js"></script>'
    )

    assert len(found.problems) == 6  # the inline script counts twice: no src, and code inside
    assert found.scripts == 2


def test_login_page_has_no_inline_script_or_event_handlers(client):
    response = client.get("/login/")

    assert response.status_code == 200
    found = _inline_behaviour(response.content.decode())
    assert found.problems == []
    assert found.scripts >= 1  # htmx and the page script are loaded from files


def test_signed_in_inbox_page_has_no_inline_script_or_event_handlers(client_for, demo):
    response = client_for(demo.agent).get(f"/w/{demo.slug}/messages/")

    assert response.status_code == 200
    found = _inline_behaviour(response.content.decode())
    assert found.problems == []


def test_admin_view_of_the_inbox_has_no_inline_script_or_event_handlers(client_for, demo):
    response = client_for(demo.admin).get(f"/w/{demo.slug}/messages/")

    assert response.status_code == 200
    assert _inline_behaviour(response.content.decode()).problems == []


def test_workspace_picker_has_no_inline_script_or_event_handlers(client_for, demo, other):
    f.make_member(other.workspace, "agent")  # unrelated member: the picker is per user
    demo.agent.user.memberships.create(workspace=other.workspace, role="agent")

    response = client_for(demo.agent).get("/")

    assert response.status_code == 200
    assert _inline_behaviour(response.content.decode()).problems == []


# --- login throttling ---------------------------------------------------------------------------------


def _login(client, email: str, password: str):
    return client.post("/login/", {"username": email, "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_throttling_is_on_with_five_failures(settings):
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == 5


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(client, demo):
    email = demo.agent.user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, email, "wrong-password")

    response = _login(client, email, f.PASSWORD)

    assert response.status_code == 429
    assert not _signed_in(client)
    html = response.content.decode()
    assert 'role="alert"' in html
    assert _inline_behaviour(html).problems == []


def test_a_locked_account_does_not_lock_out_another_user(client, demo):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, demo.agent.user.email, "wrong-password")

    response = _login(client, demo.agent2.user.email, f.PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)
    assert int(client.session["_auth_user_id"]) == demo.agent2.user.pk


def test_fewer_failures_than_the_limit_still_allow_sign_in(client, demo):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, demo.agent.user.email, "wrong-password").status_code == 200

    response = _login(client, demo.agent.user.email, f.PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_changing_the_email_case_does_not_reset_the_failure_count(client, demo):
    email = demo.agent.user.email
    variants = [email, email.upper(), email.title(), email.swapcase(), f"  {email}  "]
    for variant in variants[: settings.AXES_FAILURE_LIMIT]:
        _login(client, variant, "wrong-password")

    response = _login(client, email.upper(), f.PASSWORD)

    assert response.status_code == 429
    assert not _signed_in(client)
