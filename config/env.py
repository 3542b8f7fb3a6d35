"""Read and validate environment settings; a bad value stops start-up with one clear line."""

from __future__ import annotations

import os
import sys
from urllib.parse import unquote, urlsplit


class SettingError(Exception):
    """A setting from the environment is unusable. The message names the variable."""


def fail(message: str) -> None:
    """Print one line to stderr and exit: no stack trace for a configuration mistake."""
    sys.stderr.write(f"parley: {message}\n")
    sys.exit(2)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number.") from None


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL (postgres://user:pass@host:port/name) into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SettingError(
            f"DATABASE_URL must start with postgres:// (got {parts.scheme or 'no scheme'!r})."
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise SettingError("DATABASE_URL has no database name (postgres://user@host:5432/NAME).")
    try:
        port = parts.port
    except ValueError:
        raise SettingError("DATABASE_URL has an invalid port.") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        # The pool keeps connections; CONN_MAX_AGE must stay 0 with it.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 10, "timeout": 10}, "connect_timeout": 3},
    }


def check_redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise SettingError(f"REDIS_URL must start with redis:// (got {parts.scheme or 'no scheme'!r}).")
    if not parts.hostname:
        raise SettingError("REDIS_URL has no host (redis://host:6379/0).")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise SettingError("REDIS_URL has an invalid port.") from None
    return url


def email_from_url(url: str) -> dict:
    """Turn EMAIL_URL into Django's MAILERS["default"]. `smtp://user:pass@host:587` (STARTTLS when the
    port is 587 or `?tls=1`), `smtps://user:pass@host:465` (implicit TLS), `console://` (print to the log)."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise SettingError(f"EMAIL_URL must start with smtp://, smtps:// or console:// (got {parts.scheme!r}).")
    if not parts.hostname:
        raise SettingError("EMAIL_URL has no host (smtp://user:password@host:587).")
    try:
        port = parts.port
    except ValueError:
        raise SettingError("EMAIL_URL has an invalid port.") from None
    query = {k: v for k, _, v in (p.partition("=") for p in parts.query.split("&") if p)}
    ssl = parts.scheme == "smtps" or query.get("ssl") in {"1", "true"}
    tls = not ssl and (port == 587 or query.get("tls") in {"1", "true"})
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or (465 if ssl else 587 if tls else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": tls,
            "use_ssl": ssl,
            "timeout": 10,
        },
    }
