"""`manage.py check --deploy` is clean under production settings (DEBUG off, real secret, real host)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

_CONTROLLED = {
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "PUBLIC_BASE_URL",
    "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "ALLOW_PRIVATE_WEBHOOKS", "AXES_ENABLED",
    "AXES_FAILURE_LIMIT", "DJANGO_SETTINGS_MODULE", "PARLEY_DATA_DIR",
}


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONTROLLED and not k.startswith("PYTEST")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),  # 86 characters, high entropy
        ALLOWED_HOSTS="parley.example.com",
        PUBLIC_BASE_URL="https://parley.example.com",
        PARLEY_DATA_DIR=str(tmp_path),
    )
    env.update(extra)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    result = _run(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output
    assert "(security." not in output, output
    assert "no issues" in output


def test_production_settings_turn_on_https_only_cookies_hsts_and_redirect(tmp_path):
    probe = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS)"
    )
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")

    result = subprocess.run(
        [PYTHON, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True", "True", "True", "DENY"]


def test_debug_off_serves_only_the_configured_host(tmp_path):
    probe = "from django.conf import settings as s; print(','.join(s.ALLOWED_HOSTS))"
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")

    result = subprocess.run(
        [PYTHON, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "parley.example.com"
