"""A bad or unreachable setting stops start-up fast with one line naming the variable.

Each case runs `manage.py check` in a fresh interpreter with a controlled environment, the way an
operator would start Parley, and looks at what a person sees: the exit status, stderr and the time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SERVICES

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
TIME_LIMIT = 5.0  # seconds: the connect timeouts are 3 s; a hang would be ~19 s
REACHABLE_REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Variables that could leak in from the test runner's own environment and change the outcome.
_CONTROLLED = {
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "PUBLIC_BASE_URL",
    "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "VOICE_NOTE_MAX_SECONDS", "ALLOW_PRIVATE_WEBHOOKS",
    "AXES_FAILURE_LIMIT", "AXES_ENABLED", "LOG_LEVEL", "EMAIL_URL", "DEFAULT_FROM_EMAIL", "DJANGO_SETTINGS_MODULE",
    "PARLEY_DATA_DIR",
}


def _reachable_database_url() -> str:
    """A PostgreSQL URL that answers (the server's maintenance database), for the Redis-only cases."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def _start(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    base = {k: v for k, v in os.environ.items() if k not in _CONTROLLED and not k.startswith("PYTEST")}
    base.update({"DEBUG": "1", "PARLEY_DATA_DIR": str(tmp_path)})
    base.update(env)
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True, timeout=30
    )
    return result, time.monotonic() - started


def _assert_one_line_naming(result: subprocess.CompletedProcess, elapsed: float, variable: str) -> str:
    assert result.returncode != 0, f"expected a failure, got exit 0; stdout={result.stdout!r}"
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f}s to fail"
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one line on stderr, got: {result.stderr!r}"
    assert result.stderr.strip() == lines[0].strip(), "blank lines around the message"
    assert variable in lines[0], f"{variable} not named in {lines[0]!r}"
    return lines[0]


def test_embedded_mode_starts_cleanly_with_neither_url_set(tmp_path):
    result, elapsed = _start(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert elapsed < 15


def test_malformed_database_url_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL="mysql://parley@127.0.0.1/parley", REDIS_URL=REACHABLE_REDIS)

    line = _assert_one_line_naming(result, elapsed, "DATABASE_URL")
    assert "postgres://" in line  # says what is expected


def test_database_url_without_a_name_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432", REDIS_URL=REACHABLE_REDIS)

    _assert_one_line_naming(result, elapsed, "DATABASE_URL")


def test_database_url_with_a_bad_port_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:port/x", REDIS_URL=REACHABLE_REDIS)

    _assert_one_line_naming(result, elapsed, "DATABASE_URL")


def test_unreachable_database_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/x", REDIS_URL=REACHABLE_REDIS)

    line = _assert_one_line_naming(result, elapsed, "DATABASE_URL")
    assert "REDIS_URL" not in line


def test_only_database_url_set_fails_with_one_line_naming_the_missing_redis_url(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/parley")

    _assert_one_line_naming(result, elapsed, "REDIS_URL")


def test_only_redis_url_set_fails_with_one_line_naming_the_missing_database_url(tmp_path):
    result, elapsed = _start(tmp_path, REDIS_URL=REACHABLE_REDIS)

    _assert_one_line_naming(result, elapsed, "DATABASE_URL")


@pytest.mark.parametrize("bad", ["http://127.0.0.1:6379/0", "redis://", "redis://127.0.0.1:port/0"])
def test_malformed_redis_url_fails_with_one_line_naming_it(tmp_path, bad):
    result, elapsed = _start(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/parley", REDIS_URL=bad)

    line = _assert_one_line_naming(result, elapsed, "REDIS_URL")
    assert "DATABASE_URL" not in line


@pytest.mark.skipif(not SERVICES, reason="needs a reachable PostgreSQL so that Redis is the one that fails")
def test_unreachable_redis_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DATABASE_URL=_reachable_database_url(), REDIS_URL="redis://127.0.0.1:1/0")

    line = _assert_one_line_naming(result, elapsed, "REDIS_URL")
    assert "DATABASE_URL" not in line


def test_debug_off_without_secret_key_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DEBUG="0")

    _assert_one_line_naming(result, elapsed, "SECRET_KEY")


def test_debug_that_is_not_a_boolean_fails_with_one_line_naming_it(tmp_path):
    result, elapsed = _start(tmp_path, DEBUG="maybe")

    _assert_one_line_naming(result, elapsed, "DEBUG")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PUBLIC_BASE_URL", "parley.example.com"),
        ("VOICE_NOTE_MAX_SECONDS", "five minutes"),
        ("ALLOW_PRIVATE_WEBHOOKS", "sometimes"),
        ("SECURE_SSL_REDIRECT", "perhaps"),
        ("AXES_FAILURE_LIMIT", "many"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_ENABLED", "nah"),
        ("LOG_LEVEL", "LOUD"),
        ("VOICE_NOTE_MAX_SECONDS", "-5"),
        ("EMAIL_URL", "mailto://someone"),
        ("EMAIL_URL", "smtp://"),
        ("EMAIL_URL", "smtp://mail.example.com:port"),
    ],
)
def test_other_malformed_settings_fail_with_one_line_naming_them(tmp_path, variable, value):
    result, elapsed = _start(tmp_path, **{variable: value})

    _assert_one_line_naming(result, elapsed, variable)
