"""A real uvicorn server (HTTP + websockets) for the realtime tests that need a real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.servers import LiveServer


@pytest.fixture
def server_url(transactional_db) -> Iterator[str]:
    """Base URL of uvicorn serving config.asgi:application in this process; data must be committed."""
    from config.asgi import application  # after the test database exists (the import checks the db)

    server = LiveServer(application)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
