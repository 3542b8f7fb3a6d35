"""Shared set-up for benchmarks: a dedicated PostgreSQL database, migrated, and Django ready."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/parley_bench"


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("ALLOW_PRIVATE_WEBHOOKS", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_url(name: str) -> str:
    """The URL of database `name` on the server DATABASE_URL points at (default: local PostgreSQL)."""
    import psycopg

    base = os.environ.get("DATABASE_URL") or DEFAULT_DB
    info = psycopg.conninfo.conninfo_to_dict(base.replace("postgres://", "postgresql://", 1))
    info["dbname"] = name
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgres://{user}{password}@{info.get('host') or '127.0.0.1'}:{info.get('port') or 5432}/{name}"


def create_fresh_database(url: str) -> None:
    """Drop the database if an interrupted run left it behind, then create it empty."""
    drop_database(url)
    _create_database(url)


def drop_database(url: str) -> None:
    """Drop it even when connections are still open (a killed server's)."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def fresh_workspace(prefix: str):
    """A new workspace for this run (earlier runs' rows stay: a realistic, growing table)."""
    import time

    from workspaces.models import Membership, User, Workspace

    slug = f"{prefix}-{time.time_ns()}"
    workspace = Workspace.objects.create(name=prefix.title(), slug=slug)
    user, _ = User.objects.get_or_create(email=f"bench-{prefix}@example.test", defaults={"display_name": "Bench"})
    member = Membership.objects.create(workspace=workspace, user=user, role="agent")
    return workspace, member
