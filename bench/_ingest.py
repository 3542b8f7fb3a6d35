"""What the ingest benchmarks share: a fresh migrated database, the bench workspace and API channels, a real
uvicorn (2 workers, DEBUG off) on a free 127.0.0.1 port, worker processes started together, and teardown
that runs on errors, Ctrl-C and SIGTERM alike.

Each script prints human lines and one machine line, `RESULT {json}`, that the driver (ingest.py) reads.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from _setup import ROOT, create_fresh_database, database_url, drop_database

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"  # test runs use 1–14 (scripts/test.sh), the other benches 2
RESULT = "RESULT "
HERE = Path(__file__).resolve().parent


# ---- results ----------------------------------------------------------------------------------------------

def print_result(name: str, **figures) -> None:
    print(RESULT + json.dumps({"name": name, **figures}), flush=True)


def parse_result(stdout: str, name: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith(RESULT):
            data = json.loads(line[len(RESULT):])
            if data.get("name") == name:
                return data
    raise RuntimeError(f"no {name} result in the output:\n{stdout[-2000:]}")


# ---- environment ------------------------------------------------------------------------------------------

def server_env(*, db_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    """The services mode as production runs it: DEBUG off, HTTP on 127.0.0.1, errors-only logging."""
    return {
        **os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "DEBUG": "0", "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
    }


@dataclass(frozen=True)
class Bench:
    db_url: str
    redis_url: str
    env: dict[str, str]


def exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every `finally` (server, database) still runs."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@contextlib.contextmanager
def bench_database(name: str, redis_url: str) -> Iterator[Bench]:
    """A fresh database `name`, migrated, with Django set up in this process against it; dropped afterwards.

    The secret key is made here and shared with every process of the run (sessions are signed with it).
    """
    url = database_url(name)
    env = server_env(db_url=url, redis_url=redis_url, secret_key=secrets.token_urlsafe(50))
    for key in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                "LOG_LEVEL", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = env[key]
    create_fresh_database(url)
    try:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield Bench(db_url=url, redis_url=redis_url, env=env)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        drop_database(url)


# ---- the bench workspace ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One API channel of the bench workspace, as the scripts need it (plain values, passable as arguments)."""

    workspace_id: int
    slug: str
    channel_id: int
    channel_uuid: str
    token: str

    def args(self) -> list[str]:
        return [f"--{key.replace('_', '-')}={value}" for key, value in asdict(self).items()]

    @classmethod
    def from_args(cls, args) -> Target:
        return cls(args.workspace_id, args.slug, args.channel_id, args.channel_uuid, args.token)


def add_target_args(parser) -> None:
    for name, kind in (("workspace-id", int), ("slug", str), ("channel-id", int), ("channel-uuid", str),
                       ("token", str)):
        parser.add_argument(f"--{name}", type=kind)


def bench_workspace(slug: str = "bench-ingest"):
    """The workspace and the agent who watches it (through the ORM, as the admin would)."""
    from workspaces.models import Membership, User, Workspace

    workspace = Workspace.objects.create(name="Bench ingest", slug=slug)
    user = User.objects.create(email=f"agent@{slug}.test", display_name="Bench Agent")
    member = Membership.objects.create(workspace=workspace, user=user, role="agent")
    return workspace, member


def api_channel(workspace, name: str) -> Target:
    from inbox.models import Channel

    channel = Channel.objects.create(workspace=workspace, kind="api", name=name)
    return Target(workspace.pk, workspace.slug, channel.pk, str(channel.uuid), channel.token)


def session_key(member) -> str:
    """A signed-in session for the member in the session store, as a sign-in makes (the tests do the same)."""
    from django.test import Client

    client = Client()
    client.force_login(member.user)
    return client.cookies["sessionid"].value


def stored_messages(channel_id: int) -> int:
    from inbox.models import Message

    return Message.objects.filter(channel_id=channel_id).count()


# ---- uvicorn ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:  # an unknown channel: a JSON 404 from the hook view, so Django and the database are up
        connection.request("GET", "/hooks/api/00000000-0000-0000-0000-000000000000/")
        return connection.getresponse().status == 404
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def uvicorn_server(env: dict[str, str], *, workers: int = 2, timeout: float = 90.0) -> Iterator[str]:
    """`uvicorn config.asgi:application --workers N` in its own process group; yields its base URL once every
    worker has started and it answers; stopped (the whole group) on the way out."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="parley-bench-uvicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(workers), "--lifespan", "off", "--no-access-log", "--log-level", "info"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            started = Path(log.name).read_text(errors="replace").count("Started server process")
            if started >= workers and _answers(port):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start:\n" + Path(log.name).read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop_group(process)
        logged = Path(log.name).read_text(errors="replace")
        if tracebacks := logged.count("Traceback"):
            # wrk stopping mid-request is one such error at the end of each run (the client went away).
            lines = logged[logged.rfind("Traceback"):].splitlines()
            end = next((i for i, line in enumerate(lines[1:], 1) if not line.startswith(" ")), len(lines) - 1)
            print(f"uvicorn logged {tracebacks} traceback(s); the last one ends with:\n"
                  + "\n".join(lines[max(1, end - 2):end + 1]), file=sys.stderr)
        log.close()
        os.unlink(log.name)


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group we started (uvicorn and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# ---- worker processes started together --------------------------------------------------------------------

def run_workers(script: str, count: int, args: list[str], env: dict[str, str], *, seconds: float) -> list[dict]:
    """Start `count` copies of `script --worker --index i`, wait until each says "ready", say "go" to all at
    once, and collect each one's RESULT line. Bounded: a worker that hangs past its time is killed."""
    processes = [
        subprocess.Popen([sys.executable, str(HERE / script), "--worker", f"--index={i}", f"--processes={count}",
                          f"--seconds={seconds}", *args], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for i in range(count)
    ]
    try:
        for process in processes:
            line = _readline(process, timeout=60)
            if line.strip() != "ready":
                raise RuntimeError(f"{script} worker did not start (said {line!r})")
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, _err = process.communicate(timeout=seconds + 60)
            if process.returncode != 0:
                raise RuntimeError(f"{script} worker failed with exit code {process.returncode}")
            results.append(parse_result(out, "worker"))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)


def _readline(process: subprocess.Popen, *, timeout: float) -> str:
    ready, _w, _x = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline() if ready else ""


def wait_for_go() -> None:
    """In a worker: announce readiness, then block until the parent says go (or exit if it went away)."""
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit(1)


def summarize(results: list[dict]) -> dict:
    """Workers ran the same window: the rate is the sum of each one's messages over its own elapsed time."""
    return {"messages": sum(r["messages"] for r in results),
            "rate": sum(r["messages"] / r["elapsed"] for r in results if r["elapsed"] > 0),
            "processes": len(results)}


def run_main(main) -> None:
    """Run a script's main; Ctrl-C (or SIGTERM) ends it with one line once its teardown has run."""
    exit_on_sigterm()
    try:
        main()
    except KeyboardInterrupt:
        print(f"{Path(sys.argv[0]).name}: interrupted (what it started is stopped, its database dropped)",
              file=sys.stderr)
        sys.exit(130)
