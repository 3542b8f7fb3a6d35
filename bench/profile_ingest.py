"""Where the time of one webhook goes, on the real path (services mode, DEBUG off), in ms per message.

Two ways, one fresh database each (dropped at the end), Redis database 15:

    .venv/bin/python bench/profile_ingest.py cprofile [--messages 1000]
        cProfile around N API-webhook posts handled in this process as a uvicorn worker's hook thread
        handles them (inbox.hooks_asgi: the short middleware chain, the view, the statement, the after-commit
        live push with its Redis round trip); prints the top cumulative costs divided by N.
    .venv/bin/python bench/profile_ingest.py pyspy [--seconds 15]
        `uvicorn --workers 1` under wrk, with py-spy sampling that worker (every thread, idle included);
        prints the hottest frames as ms per stored message: the Python CPU (samples of the thread holding the
        GIL), or with --idle every thread's wall time. Needs py-spy (`.venv/bin/pip install py-spy`).

Half the contacts are new, as in `make bench`'s 15 s: --contacts sets how many cycle.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _ingest
import ingest

RATE = 250  # py-spy samples per second and thread


def _body(run: str, i: int, contacts: int) -> bytes:
    c = i % contacts
    return json.dumps({"contact": {"id": f"c{c}", "name": f"Contact {c}"},
                       "message": {"id": f"{run}-{i}", "text": f"Benchmark message {i}"}}).encode()


def profile_client(target: _ingest.Target, *, messages: int, contacts: int, top: int) -> None:
    """The synchronous part of the real path: inbox.hooks_asgi.HookHandler._respond (the short middleware
    chain, the view, the statement, the after-commit push), what a uvicorn worker runs in its hook threads."""
    from inbox import live_counts
    from inbox.hooks_asgi import HookHandler

    handler = HookHandler(threads=1)
    path = f"/hooks/api/{target.channel_uuid}/"

    def post(run: str, i: int, contacts: int) -> None:
        body = _body(run, i, contacts)
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode()),
                             (b"authorization", f"Bearer {target.token}".encode())]}
        response = handler._respond(scope, body)
        assert response.status_code == 200, response.content

    for i in range(50):  # warm: imports, template loading, connections
        post("warm", i, 50)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(messages):
        post("run", i, contacts)
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"cProfile: {messages} posts in {elapsed:.2f} s = {1000 * elapsed / messages:.2f} ms per message "
          f"(under the profiler)")
    print(f"{'ms/msg cum':>11} {'ms/msg own':>11} {'calls/msg':>10}  function")
    rows = []
    for (filename, line, name), (_cc, ncalls, own, cum, _callers) in stats.stats.items():
        rows.append((cum, own, ncalls, f"{_short(filename)}:{line}({name})"))
    for cum, own, ncalls, where in sorted(rows, reverse=True)[:top]:
        print(f"{1000 * cum / messages:11.3f} {1000 * own / messages:11.3f} {ncalls / messages:10.2f}  {where}")
    time.sleep(live_counts.COUNTS_EVERY + 0.5)  # the held tab counts are pushed before the database goes


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(_ingest.ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def profile_pyspy(bench: _ingest.Bench, target: _ingest.Target, warm: _ingest.Target, *, seconds: float,
                  contacts: int, top: int, idle: bool) -> None:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if not spy:
        raise SystemExit("profile_ingest: py-spy is not installed (.venv/bin/pip install py-spy)")
    wrk = ingest.ensure_wrk()
    from django.db import connections

    connections.close_all()
    with _ingest.uvicorn_server(bench.env, workers=1) as base_url:
        ingest.run_wrk(wrk, base_url, warm, seconds=2, threads=2, connections=12, contacts=contacts, run="warm",
                       contact_prefix="w")
        worker = _worker_pid(base_url)
        raw = tempfile.NamedTemporaryFile(prefix="parley-pyspy-", suffix=".txt", delete=False)  # noqa: SIM115
        raw.close()
        command = [spy, "record", "--pid", str(worker), "--duration", str(round(seconds)), "--rate", str(RATE),
                   "--format", "raw", "--threads", "--nonblocking", "--output", raw.name, "--idle" if idle else "--gil"]
        spy_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        time.sleep(1.0)  # py-spy attached
        figures = ingest.run_wrk(wrk, base_url, target, seconds=seconds - 1, threads=2, connections=12,
                                 contacts=contacts, run=f"p{time.time_ns()}")
        spy_process.wait(timeout=seconds + 60)
        time.sleep(1.0)
        stored = _ingest.stored_messages(target.channel_id)
        connections.close_all()
    _report_pyspy(Path(raw.name), stored=stored, seconds=figures["seconds"], rate=RATE, top=top, idle=idle)
    os.unlink(raw.name)


def _worker_pid(base_url: str) -> int:
    """The one uvicorn worker's pid: the child of the server process listening on the port."""
    port = base_url.rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    pids = sorted({int(p) for p in __import__("re").findall(r"pid=(\d+)", out)})
    children = [int(p) for pid in pids for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                                 text=True).stdout.split()]
    candidates = [p for p in children if "uvicorn" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
                  or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
    return (candidates or children or pids)[-1]


def _report_pyspy(raw: Path, *, stored: int, seconds: float, rate: int, top: int, idle: bool) -> None:
    """Raw py-spy lines are `thread;frame;frame… count`. Each sample is 1/rate s of one thread (holding the GIL,
    or busy or waiting with --idle), so samples × 1000/rate / stored = ms of that thread per stored message."""
    per_sample = 1000 / rate / stored
    kinds: Counter = Counter()
    inclusive: dict[str, Counter] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")[1:]
        kind = _thread_kind(stack)
        kinds[kind] += n
        seen = inclusive.setdefault(kind, Counter())
        for frame in set(frames):
            seen[frame] += n
    if not kinds:
        raise SystemExit("profile_ingest: py-spy recorded nothing")
    print(f"py-spy: {stored} stored in {seconds:.1f} s = {stored / seconds:.1f} msg/s in one worker, "
          f"{1000 * seconds / stored:.2f} ms of wall time per message")
    for kind, n in kinds.most_common():
        print(f"\n{kind}: {n * per_sample:.2f} ms per message ({'busy or waiting' if idle else 'holding the GIL'})")
        if kind in ("request threads", "event loop", "channel-layer loop"):
            for frame, m in inclusive[kind].most_common(top):
                print(f"{m * per_sample:8.3f}  {frame}")


def _thread_kind(stack: str) -> str:
    if "SyncToAsync.thread_handler" in stack or "parley-hooks" in stack.split(";", 1)[0]:
        return "request threads"
    if "parley-channel-layer" in stack.split(";", 1)[0] or "sender.py" in stack:
        return "channel-layer loop"
    if "uvicorn/main.py" in stack or "Server.run" in stack:
        return "event loop"
    if "psycopg_pool" in stack:
        return "psycopg pool workers"
    return "other threads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("cprofile", "pyspy"))
    parser.add_argument("--messages", type=int, default=1000, help="cprofile: posts profiled")
    parser.add_argument("--seconds", type=float, default=15.0, help="pyspy: seconds sampled")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--idle", action="store_true",
                        help="pyspy: every thread's wall time (waits included) instead of who holds the GIL")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", _ingest.DEFAULT_REDIS))
    args = parser.parse_args()
    with _ingest.bench_database(f"parley_bench_profile_{os.getpid()}", args.redis_url) as bench:
        workspace, _member = _ingest.bench_workspace("bench-profile")
        target, warm = _ingest.api_channel(workspace, "Profiled"), _ingest.api_channel(workspace, "Warm-up")
        if args.mode == "cprofile":
            profile_client(target, messages=args.messages, contacts=args.contacts, top=args.top)
        else:
            profile_pyspy(bench, target, warm, seconds=args.seconds, contacts=args.contacts, top=args.top,
                          idle=args.idle)


if __name__ == "__main__":
    _ingest.run_main(main)
