"""Production static files: hashed names from collectstatic, served by WhiteNoise with long cache headers,
Brotli and gzip.

The module collects the real static files (Parley's and the admin's) once into a temporary STATIC_ROOT
with DEBUG off and the manifest storage settings.py picks for production, then fetches them through the
test client and through Django's ASGI handler (what uvicorn runs).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import secrets
import subprocess
import sys
import warnings
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
IMMUTABLE = "max-age=315360000, public, immutable"
CSS = "css/parley.css"


def _settings_with(debug: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DEBUG=debug, SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="config.settings")
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.STORAGES['staticfiles']['BACKEND']); print(s.MIDDLEWARE[1])")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_settings_pick_the_manifest_storage_only_with_debug_off():
    from whitenoise.middleware import WhiteNoiseMiddleware

    from config.static import StaticFilesMiddleware

    assert _settings_with("0") == [MANIFEST_STORAGE, "config.static.StaticFilesMiddleware"]
    # With DEBUG on, {% static %} works on a fresh clone, before any collectstatic.
    assert _settings_with("1") == ["django.contrib.staticfiles.storage.StaticFilesStorage",
                                   "config.static.StaticFilesMiddleware"]
    assert issubclass(StaticFilesMiddleware, WhiteNoiseMiddleware)
    assert settings.MIDDLEWARE[0] == "django.middleware.security.SecurityMiddleware"


def test_the_asgi_app_leaves_static_files_to_whitenoise():
    from django.core.handlers.asgi import ASGIHandler

    import config.asgi

    # Not Django's development ASGIStaticFilesHandler, which would answer first with no hashing or caching
    # (only /hooks/ take the light path, inbox.hooks_asgi, which never serves files).
    assert type(config.asgi.http_application.fallback) is ASGIHandler


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(DEBUG=False, STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", "--no-input", verbosity=0)
        yield root


def test_a_hashed_file_is_cached_for_a_year_and_served_compressed(production_static):
    url = staticfiles_storage.url(CSS)
    assert url != f"/static/{CSS}" and url.startswith("/static/css/parley.") and url.endswith(".css")
    client = Client()
    plain = client.get(url)
    assert plain.status_code == 200
    assert plain["Cache-Control"] == IMMUTABLE
    assert plain["Content-Type"].startswith("text/css")
    assert plain.content == (ROOT / "static" / CSS).read_bytes()
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]

    squeezed = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert squeezed["Content-Encoding"] == "br" and squeezed["Cache-Control"] == IMMUTABLE
    assert brotli.decompress(squeezed.content) == plain.content

    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped["Content-Encoding"] == "gzip" and zipped["Cache-Control"] == IMMUTABLE
    assert len(zipped.content) < len(plain.content) / 2
    assert gzip.decompress(zipped.content) == plain.content

    again = client.get(url, headers={"If-None-Match": plain["ETag"]})
    assert again.status_code == 304


def test_an_unhashed_name_is_cached_briefly_and_a_missing_file_is_404(production_static):
    client = Client()
    response = client.get(f"/static/{CSS}")
    assert response.status_code == 200 and "immutable" not in response["Cache-Control"]
    assert response["Cache-Control"] == "max-age=60, public"
    assert client.get("/static/css/nope.0123456789ab.css").status_code == 404


def _asgi_get(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 40000),
             "server": ("testserver", 80)}
    sent: list[dict] = []

    async def call() -> None:
        requested = asyncio.Event()

        async def receive() -> dict:
            if requested.is_set():
                await asyncio.Event().wait()  # the client stays connected
            requested.set()
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(call())
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_the_asgi_handler_serves_hashed_files_the_same_way_without_warnings(production_static):
    from django.core.asgi import get_asgi_application

    app = get_asgi_application()  # what config.asgi serves, built with these (production) settings
    url = staticfiles_storage.url(CSS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, body = _asgi_get(app, url, [(b"accept-encoding", b"gzip")])
    assert status == 200
    assert headers[b"Cache-Control"].decode() == IMMUTABLE and headers[b"Content-Encoding"] == b"gzip"
    assert gzip.decompress(body) == (ROOT / "static" / CSS).read_bytes()
    assert not [w for w in caught if "synchronous iterators" in str(w.message)]


@pytest.mark.django_db
def test_pages_link_the_hashed_names_with_debug_off(production_static):
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert staticfiles_storage.url(CSS) in html
    assert f'"/static/{CSS}"' not in html
