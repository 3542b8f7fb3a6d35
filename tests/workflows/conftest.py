"""Two workspaces with an API channel each, nobody online (presence lives in the cache, not the database)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from inbox.models import Channel
from tests import factories as f
from tests.conftest import Team

from .helpers import everyone_offline


@dataclass
class World:
    demo: Team
    other: Team
    channel: Channel
    other_channel: Channel

    @property
    def ws(self):
        return self.demo.workspace


@pytest.fixture
def world(demo, other) -> World:
    everyone_offline()
    return World(demo=demo, other=other, channel=f.make_channel(demo.workspace, "api"),
                 other_channel=f.make_channel(other.workspace, "api"))
