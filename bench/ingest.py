"""The ingest hot path, through real HTTP, against the bare limit and the naive ORM floor in the same run.

1. A fresh database (migrated), the bench workspace with one API channel per contender, an agent's session.
2. `uvicorn config.asgi:application --workers 2` (DEBUG off) on a free 127.0.0.1 port; a short wrk warm-up.
3. wrk posts API-channel messages for --seconds (distinct message ids, --contacts contacts cycling);
   stored msg/s = new Message rows / wrk's duration; wrk's request rate and non-2xx are reported too.
4. Live latency on the same server (latency.py): webhook → `message.created` on the agent's websocket.
5. With the server stopped: the bare psycopg loop (ingest_bare.py) and the naive ORM loop (ingest_orm.py),
   each in as many processes as uvicorn had workers, for the same duration.
6. SQL statements per message, counted in this process around receive_message (CaptureQueriesContext).
Everything is torn down at the end (server, database), on errors and Ctrl-C too.

Usage: make bench, or
    .venv/bin/python bench/ingest.py [--seconds 15] [--connections 12] [--latency-rate 100] [--latency-seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import _ingest
import ingest_bare
import ingest_orm
import latency

GOAL_BARE, GOAL_ORM, GOAL_STATEMENTS, GOAL_P99 = 0.45, 2.0, 4, 150.0

# wrk's Lua: each thread numbers its requests; message ids are distinct per run, thread and request, and
# contacts cycle so that consecutive requests (on any connection) go to different contacts.
LUA = """
local threads, next_id = {}, 1
function setup(thread)
  thread:set("tid", next_id)
  thread:set("non2xx", 0)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  n, non2xx = 0, 0
end
function request()
  n = n + 1
  local c = (n * NTHREADS + tid) % CONTACTS
  local body = string.format(
    '{"contact":{"id":"%s%d","name":"Contact %d"},"message":{"id":"%s-%d-%d","text":"Benchmark message %d"}}',
    CONTACT_PREFIX, c, c, RUN, tid, n, n)
  return wrk.format("POST", PATH, HEADERS, body)
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\\n",
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_script(target: _ingest.Target, *, run: str, threads: int, contacts: int, contact_prefix: str) -> str:
    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "\n".join([
        f"NTHREADS = {threads}", f"CONTACTS = {contacts}", f"RUN = {q(run)}", f"CONTACT_PREFIX = {q(contact_prefix)}",
        f"PATH = {q(f'/hooks/api/{target.channel_uuid}/')}",
        "HEADERS = {[\"Content-Type\"] = \"application/json\", "
        f"[\"Authorization\"] = {q('Bearer ' + target.token)}}}",
        LUA,
    ])


def ensure_wrk() -> str:
    """wrk, installed with apt-get when missing and we are root (as scripts/ensure_system.sh does for ffmpeg)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("parley: installing wrk with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("parley: the benchmark needs wrk: please install it (e.g. sudo apt-get install wrk)")
    return found


def run_wrk(wrk: str, base_url: str, target: _ingest.Target, *, seconds: float, threads: int, connections: int,
            contacts: int, run: str, contact_prefix: str = "c") -> dict:
    with tempfile.NamedTemporaryFile("w", prefix="parley-bench-", suffix=".lua", delete=False) as script:
        script.write(lua_script(target, run=run, threads=threads, contacts=contacts, contact_prefix=contact_prefix))
    try:
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{max(connections, threads)}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", script.name, f"{base_url}/hooks/api/{target.channel_uuid}/"],
            check=True, capture_output=True, text=True, timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    found = re.search(r"WRK (.*)", out)
    if not found:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in found[1].split())}
    figures["seconds"] = figures["duration_us"] / 1e6
    return figures


def count_statements(workspace, target: _ingest.Target, n: int) -> dict:
    """SQL statements per message through receive_message, in this process: `n` messages from new contacts,
    then `n` more from those same (now returning) contacts. Transaction control (BEGIN/COMMIT/SAVEPOINT…) is
    counted apart. The after-commit live push runs inside the count (receive_message is the outer atomic); the
    coalesced tab counts (inbox.live_counts) count once per window, in the first message that opened one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connectors.base import InboundMessage
    from inbox import live_counts
    from inbox.models import Channel
    from inbox.services.receiving import receive_message

    channel = Channel.objects.get(pk=target.channel_id)
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

    def per_message(round_: str) -> tuple[float, float]:
        with CaptureQueriesContext(connection) as queries:
            for i in range(n):
                receive_message(workspace=workspace, channel=channel, inbound=InboundMessage(
                    external_contact_id=f"s{i}", external_message_id=f"{round_}-{i}", text=f"Message {i}",
                    contact_name=f"Contact {i}"))
        sqls = [q["sql"].lstrip().upper() for q in queries.captured_queries]
        tx = sum(1 for sql in sqls if sql.startswith(control))
        return (len(sqls) - tx) / n, tx / n

    new, new_tx = per_message("new")
    returning, returning_tx = per_message("returning")
    # The held tab counts are pushed by inbox.live_counts' thread after its window: let it finish before
    # the database goes (its queries, one per window, are not the message's).
    time.sleep(live_counts.COUNTS_EVERY + 0.5)
    return {"new": new, "new_tx": new_tx, "returning": returning, "returning_tx": returning_tx, "messages": n}


def report(args, parley: dict, wrk: dict, bare: dict, orm: dict, statements: dict, live: dict | None) -> None:
    to_bare = parley["rate"] / bare["rate"] if bare["rate"] else float("nan")
    to_orm = parley["rate"] / orm["rate"] if orm["rate"] else float("nan")
    print()
    print(f"ingest benchmark: {args.workers} uvicorn workers, {wrk['seconds']:.1f} s, {args.connections} connections, "
          f"{args.contacts} contacts cycling")
    print(f"{'':26}{'msg/s':>9}  notes")
    print(f"{'parley (HTTP, wrk)':26}{parley['rate']:9.1f}  {parley['messages']} stored; wrk "
          f"{wrk['requests'] / wrk['seconds']:.1f} req/s, non-2xx {wrk['non2xx']}, socket errors "
          f"{wrk['socket_errors']}, p50 {wrk['p50_us'] / 1000:.0f} ms, p99 {wrk['p99_us'] / 1000:.0f} ms")
    print(f"{'bare psycopg loop':26}{bare['rate']:9.1f}  {bare['messages']} stored, {bare['processes']} processes")
    print(f"{'naive ORM loop':26}{orm['rate']:9.1f}  {orm['messages']} stored, {orm['processes']} processes")
    print(f"parley / bare: {100 * to_bare:.1f} % (goal >= {100 * GOAL_BARE:.0f} %)   "
          f"parley / ORM: {to_orm:.2f}x (goal >= {GOAL_ORM:g}x)")
    print(f"statements per message (receive_message, {statements['messages']} each): new contact "
          f"{statements['new']:.1f} (+{statements['new_tx']:.1f} transaction control), returning contact "
          f"{statements['returning']:.1f} (+{statements['returning_tx']:.1f}) (goal <= {GOAL_STATEMENTS})")
    if live is not None:
        print(f"{latency.describe(live)} (goal p99 <= {GOAL_P99:g} ms)")
    _ingest.print_result("ingest", parley=parley, wrk=wrk, bare=bare, orm=orm, statements=statements, latency=live,
                         parley_to_bare=to_bare, parley_to_orm=to_orm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="each throughput measurement")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers, and processes of each loop")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk before measuring")
    parser.add_argument("--latency-rate", type=float, default=100.0)
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="0 skips the latency measurement")
    parser.add_argument("--latency-senders", type=int, default=8, help="keep-alive connections posting on schedule")
    parser.add_argument("--statements", type=int, default=50, help="messages per statement count")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", _ingest.DEFAULT_REDIS))
    args = parser.parse_args()
    wrk_path = ensure_wrk()
    with _ingest.bench_database(f"parley_bench_ingest_{os.getpid()}", args.redis_url) as bench:
        workspace, member = _ingest.bench_workspace()
        targets = {name: _ingest.api_channel(workspace, name)
                   for name in ("Parley", "Warm-up", "Bare loop", "ORM loop", "Statements")}
        session = _ingest.session_key(member)
        from django.db import connections

        connections.close_all()  # this process stays idle while the others measure
        print(f"ingest: database {Path(bench.db_url).name}, starting uvicorn with {args.workers} workers", flush=True)
        live = None
        with _ingest.uvicorn_server(bench.env, workers=args.workers) as base_url:
            if args.warmup > 0:
                run_wrk(wrk_path, base_url, targets["Warm-up"], seconds=args.warmup, threads=args.threads,
                        connections=args.connections, contacts=args.contacts, run="warm", contact_prefix="w")
            time.sleep(0.5)
            print(f"ingest: wrk for {args.seconds:g} s", flush=True)
            wrk = run_wrk(wrk_path, base_url, targets["Parley"], seconds=args.seconds, threads=args.threads,
                          connections=args.connections, contacts=args.contacts, run=f"w{time.time_ns()}")
            time.sleep(1.0)  # requests cut off by wrk's end finish (at most one per connection)
            stored = _ingest.stored_messages(targets["Parley"].channel_id)
            parley = {"messages": stored, "rate": stored / wrk["seconds"]}
            print(f"parley (HTTP): {parley['rate']:.1f} msg/s stored", flush=True)
            connections.close_all()
            if args.latency_seconds > 0:
                print(f"ingest: live latency at {args.latency_rate:g} msg/s for {args.latency_seconds:g} s", flush=True)
                # The channel and contacts wrk just wrote to: mostly returning contacts, an inbox's steady state.
                live = latency.measure(base_url, targets["Parley"], session, rate=args.latency_rate,
                                       seconds=args.latency_seconds, contacts=args.contacts,
                                       senders=args.latency_senders)
                print(latency.describe(live), flush=True)
        print(f"ingest: bare psycopg loop, {args.workers} processes", flush=True)
        bare = ingest_bare.run(bench, targets["Bare loop"], seconds=args.seconds, processes=args.workers,
                               contacts=args.contacts)
        print(f"bare psycopg loop: {bare['rate']:.1f} msg/s", flush=True)
        print(f"ingest: naive ORM loop, {args.workers} processes", flush=True)
        orm = ingest_orm.run(bench, targets["ORM loop"], seconds=args.seconds, processes=args.workers,
                             contacts=args.contacts)
        print(f"naive ORM loop: {orm['rate']:.1f} msg/s", flush=True)
        statements = count_statements(workspace, targets["Statements"], args.statements)
        connections.close_all()
    report(args, parley, wrk, bare, orm, statements, live)


if __name__ == "__main__":
    _ingest.run_main(main)
