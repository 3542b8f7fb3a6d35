"""Pytest fixtures that start the fake providers and point Parley's settings at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .graph import FakeGraph
from .telegram import FakeTelegram


@pytest.fixture
def fake_telegram(settings) -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    settings.TELEGRAM_API_BASE_URL = server.url
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_graph(settings) -> Iterator[FakeGraph]:
    server = FakeGraph().start()
    settings.META_GRAPH_BASE_URL = server.base
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    try:
        yield server
    finally:
        server.stop()
