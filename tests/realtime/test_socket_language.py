"""The live socket's notices speak the member's language: their choice, else their browser's."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from websockets.sync.client import connect

from realtime import sessions

from .live import Visitor, closed_within

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _socket(visitor: Visitor, slug: str, accept_language: str):
    cookie = "; ".join(f"{name}={value}" for name, value in visitor.http.cookies.items())
    socket = connect(visitor.base_url.replace("http://", "ws://") + f"/ws/w/{slug}/", origin=visitor.base_url,
                     additional_headers={"Cookie": cookie, "Accept-Language": accept_language}, proxy=None,
                     open_timeout=5, close_timeout=2, legacy=True)
    assert json.loads(socket.recv(timeout=5))["event"] == "hello"
    return socket


@pytest.mark.parametrize(("chosen", "browser", "expected"), [("", "es-ES,es;q=0.9", "es"), ("", "en-US", "en"),
                                                             ("en", "es-ES", "en")])
def test_the_sign_out_notice_follows_the_choice_else_the_browser(server_url, demo, chosen, browser, expected):
    demo.agent.user.language = chosen
    demo.agent.user.save(update_fields=["language"])
    tab = Visitor(server_url).sign_in(demo.agent)
    socket = _socket(tab, demo.slug, browser)

    assert tab.post("/logout/").status_code == 302
    notice = closed_within(socket, 2.0).events[0]["payload"]
    with translation.override(expected):
        assert notice["notice"] == str(sessions.NOTICES[sessions.SIGNED_OUT])
        assert notice["link_text"] == str(sessions.SIGN_IN_TEXT)
    with translation.override("es" if expected == "en" else "en"):
        assert notice["notice"] != str(sessions.NOTICES[sessions.SIGNED_OUT])  # the other language reads otherwise
