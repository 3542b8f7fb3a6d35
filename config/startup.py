"""Start-up reachability checks: an unreachable service is one clear line, not a hang."""

from __future__ import annotations

import psycopg
import redis
from django.conf import settings

from .env import fail


def check_services_or_exit() -> None:
    """In the services mode, connect to PostgreSQL and Redis with short timeouts, or exit."""
    if settings.PARLEY_MODE != "services":
        return
    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            dbname=db["NAME"], user=db["USER"] or None, password=db["PASSWORD"] or None,
            host=db["HOST"] or None, port=db["PORT"] or None, connect_timeout=3,
        ).close()
    except Exception as exc:  # any failure: say which variable and why, on one line
        reason = " ".join(str(exc).split())[:200]
        fail(f"DATABASE_URL: cannot connect to PostgreSQL at {db['HOST']}:{db['PORT'] or 5432} ({reason}).")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200]
        fail(f"REDIS_URL: cannot connect to Redis ({reason}).")
