"""Whose address counts: X-Forwarded-For is believed only from the proxies in FORWARDED_ALLOW_IPS.

One rule for login throttling (django-axes), the widget's rate limits and uvicorn (whose command lines
get the same setting). With no proxy trusted, a spoofed header changes nothing.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import uvicorn
import yaml
from axes.models import AccessAttempt
from django.conf import settings

from tests import factories as f
from workspaces.client_ip import client_ip

ROOT = Path(__file__).resolve().parents[2]
SPOOFED = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.6"]


def _login(client, email: str, password: str, forwarded_for: str | None = None):
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    return client.post("/login/", {"username": email, "password": password}, headers=headers)


# ---- login throttling ---------------------------------------------------------------------------------


def test_the_default_trusts_no_proxy(settings):
    assert settings.FORWARDED_ALLOW_IPS == []
    assert settings.AXES_CLIENT_IP_CALLABLE == "workspaces.client_ip.client_ip"


def test_a_spoofed_forwarded_for_does_not_dodge_the_lockout(client, demo):
    email = demo.agent.user.email
    for address in SPOOFED[:settings.AXES_FAILURE_LIMIT]:  # a fresh "address" for every guess
        _login(client, email, "wrong-password", forwarded_for=address)

    response = _login(client, email, f.PASSWORD, forwarded_for=SPOOFED[-1])

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, demo, settings):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]  # the test client's peer address plays the proxy
    email = demo.agent.user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # The client wrote "6.6.6.6" itself; the proxy appended the address it really saw.
        _login(client, email, "wrong-password", forwarded_for="6.6.6.6, 198.51.100.7")

    assert _login(client, email, f.PASSWORD, forwarded_for="198.51.100.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # Another client behind the same proxy is not locked out with them.
    assert _login(client, email, f.PASSWORD, forwarded_for="192.0.2.44").status_code == 302


def _request(remote_addr: str, forwarded_for: str | None = None) -> SimpleNamespace:
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return SimpleNamespace(META=meta)


@pytest.mark.parametrize(("trusted", "peer", "forwarded", "expected"), [
    ([], "127.0.0.1", "6.6.6.6", "127.0.0.1"),  # nobody trusted: the header is ignored
    (["10.0.0.5"], "192.0.2.9", "6.6.6.6", "192.0.2.9"),  # a peer that is not the proxy
    (["10.0.0.5"], "10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the nearest hop counts
    (["10.0.0.0/24"], "10.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"),  # through two proxies
    (["10.0.0.0/24"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # every hop trusted: the first
    (["10.0.0.5"], "10.0.0.5", "198.51.100.7:52311", "198.51.100.7"),  # a port is dropped
    (["10.0.0.5"], "10.0.0.5", "[2001:db8::7]:443", "2001:db8::7"),
    (["10.0.0.5"], "10.0.0.5", "not-an-address", "10.0.0.5"),  # garbage: the proxy's own address
    (["10.0.0.5"], "10.0.0.5", "", "10.0.0.5"),
    (["*"], "192.0.2.9", "198.51.100.7, 192.0.2.1", "198.51.100.7"),
])
def test_client_ip_follows_the_trusted_proxies(settings, trusted, peer, forwarded, expected):
    settings.FORWARDED_ALLOW_IPS = trusted
    assert client_ip(_request(peer, forwarded)) == expected


def test_the_widgets_rate_limit_is_not_reset_by_a_spoofed_header(client, demo, settings):
    from tests.webchat.test_webchat import SHOP, make_webchat

    settings.WEBCHAT_SESSIONS_PER_MINUTE = 2
    channel = make_webchat(demo.workspace)
    statuses = [client.post(f"/widget/{channel.uuid}/session/", headers={"origin": SHOP, "x-forwarded-for": a})
                .status_code for a in SPOOFED[:3]]
    assert statuses == [201, 201, 429]


def test_an_invalid_setting_stops_start_up_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", PARLEY_DATA_DIR=str(tmp_path), FORWARDED_ALLOW_IPS="10.0.0.5, proxy.internal")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env={
        **env, "DJANGO_SETTINGS_MODULE": "config.settings"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("parley: FORWARDED_ALLOW_IPS: 'proxy.internal' is not an IP address or "
                                     "network (e.g. 10.0.0.5 or 10.0.0.0/24).")


# ---- uvicorn, as the Makefile, the Dockerfile and docker-compose.yml start it -----------------------------


def _shell(script: str, env: dict[str, str]) -> list[str]:
    """What sh does with $NAME, ${NAME} and ${NAME:-default} in a one-line command, then split into words."""
    pattern = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        return env.get(name) or (match.group(2) or "")

    words = shlex.split(pattern.sub(value, script))
    return words[1:] if words[0] == "exec" else words


def _makefile_uvicorn(env: dict[str, str]) -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "bin/uvicorn " in line)
    line = line.replace("$(VENV)/bin/uvicorn", "uvicorn").replace("$(PORT)", "8000").replace("$$", "$")
    words = _shell(line.strip(), env)
    return words[words.index("uvicorn"):]


def _dockerfile_uvicorn(env: dict[str, str]) -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    image_env = dict(re.findall(r'^ENV (FORWARDED_ALLOW_IPS)="([^"]*)"', text, re.MULTILINE))
    assert image_env == {"FORWARDED_ALLOW_IPS": ""}, "the image must default to trusting no proxy"
    command = json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))
    assert command[:2] == ["sh", "-c"]
    return _shell(command[2], {**image_env, **env})


def _compose_uvicorn(env: dict[str, str]) -> list[str]:
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    # Compose fills the container's environment from the host's (${NAME:-} → empty when unset) …
    container_env = {"FORWARDED_ALLOW_IPS": re.sub(r"\$\{FORWARDED_ALLOW_IPS:-\}", env.get("FORWARDED_ALLOW_IPS", ""),
                                                   web["environment"]["FORWARDED_ALLOW_IPS"])}
    script = web["command"][2].replace("$$", "$")  # … and turns $$ into the $ the container's sh expands.
    return _shell(script.split("&&")[-1].strip(), container_env)


@contextmanager
def _uvicorn_like(argv: list[str]) -> Iterator[str]:
    """Serve an app that echoes the client address, with the proxy options of this uvicorn command line."""
    command = importlib.import_module("uvicorn.main").main  # the click command (uvicorn.main is a function)
    params = command.make_context("uvicorn", argv[1:]).params

    async def echo_client(scope, receive, send):
        body = (scope["client"] or ("", 0))[0].encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    config = uvicorn.Config(echo_client, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                            access_log=False, proxy_headers=params["proxy_headers"],
                            forwarded_allow_ips=params["forwarded_allow_ips"])
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


COMMAND_LINES = {"Makefile": _makefile_uvicorn, "Dockerfile": _dockerfile_uvicorn, "compose": _compose_uvicorn}


@pytest.mark.parametrize("source", list(COMMAND_LINES))
def test_uvicorn_ignores_a_spoofed_forwarded_for_from_loopback_by_default(monkeypatch, source):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # uvicorn's own default would trust 127.0.0.1
    argv = COMMAND_LINES[source]({})
    with _uvicorn_like(argv) as url:
        seen = requests.get(url, headers={"X-Forwarded-For": "6.6.6.6"}, timeout=5).text
    assert seen == "127.0.0.1"


@pytest.mark.parametrize("source", list(COMMAND_LINES))
def test_uvicorn_believes_the_proxy_named_in_the_setting(monkeypatch, source):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    argv = COMMAND_LINES[source]({"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    with _uvicorn_like(argv) as url:
        seen = requests.get(url, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}, timeout=5).text
    assert seen == "198.51.100.7"
