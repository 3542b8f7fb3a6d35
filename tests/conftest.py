"""Shared fixtures: two workspaces ("demo" and "other") with members, and service markers."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings

from tests import factories as f
from workspaces.models import Membership, Workspace

SERVICES = settings.PARLEY_MODE == "services"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    # PBKDF2 takes over a second per password on a busy 2-core machine; tests need no real hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    if SERVICES:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL/REDIS_URL are not set.")
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
    for item in items:
        if "services" in item.keywords or "e2e" in item.keywords:
            item.add_marker(skip)


@dataclass
class Team:
    workspace: Workspace
    admin: Membership
    supervisor: Membership
    agent: Membership
    agent2: Membership

    @property
    def slug(self) -> str:
        return self.workspace.slug


def _team(name: str, slug: str) -> Team:
    ws = f.make_workspace(name, slug)
    return Team(
        workspace=ws,
        admin=f.make_member(ws, "admin", display_name=f"{name} Admin"),
        supervisor=f.make_member(ws, "supervisor", display_name=f"{name} Supervisor"),
        agent=f.make_member(ws, "agent", display_name=f"{name} Agent"),
        agent2=f.make_member(ws, "agent", display_name=f"{name} Agent Two"),
    )


@pytest.fixture
def demo(db) -> Team:
    return _team("Demo", "demo")


@pytest.fixture
def other(db) -> Team:
    return _team("Other", "other")


@pytest.fixture
def client_for(client):
    """Log the client in as a member: client_for(team.agent)."""

    def login(membership: Membership):
        client.force_login(membership.user)
        return client

    return login
