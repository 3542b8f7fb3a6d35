"""Live latency: API webhook posted → `message.created` on an agent's websocket, at a fixed rate.

An agent's socket (/ws/w/<slug>/, a signed-in session's cookie) listens while 8 keep-alive HTTP
senders post messages on a fixed schedule (default 100 msg/s for 10 s). Each message's text carries its
scheduled send time, so a server that falls behind shows up as latency rather than as a slower sender;
the sender's own lag is printed too. Prints p50/p95/p99 and how many events never arrived.

Usage (alone it makes its own database and uvicorn; ingest.py runs it against the run's server):
    .venv/bin/python bench/latency.py [--rate 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import threading
import time
from urllib.parse import urlsplit

import _ingest
from websockets.sync.client import connect


class Sender:
    """Messages i ≡ k (mod senders) on one keep-alive connection, each posted at start + i / rate."""

    def __init__(self, base_url: str, target: _ingest.Target, *, run: str, start: float, rate: float, total: int,
                 contacts: int, k: int, senders: int):
        self.url, self.target, self.run, self.start, self.rate = urlsplit(base_url), target, run, start, rate
        self.total, self.contacts, self.k, self.senders = total, contacts, k, senders
        self.ok = self.failed = 0
        self.max_lag = 0.0
        self.thread = threading.Thread(target=self._send_all, name=f"sender-{k}", daemon=True)

    def _send_all(self) -> None:
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=10)
        path = f"/hooks/api/{self.target.channel_uuid}/"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.target.token}"}
        try:
            for i in range(self.k, self.total, self.senders):
                due = self.start + i / self.rate
                wait = due - time.time()
                if wait > 0:
                    time.sleep(wait)
                else:
                    self.max_lag = max(self.max_lag, -wait)
                c = i % self.contacts
                body = json.dumps({"contact": {"id": f"c{c}", "name": f"Contact {c}"},
                                   "message": {"id": f"{self.run}-m{i}", "text": f"{self.run}-{i}-{due:.6f}"}})
                try:
                    connection.request("POST", path, body, headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()  # reconnects on the next request
                    ok = False
                self.ok += ok
                self.failed += not ok
        finally:
            connection.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def measure(base_url: str, target: _ingest.Target, session: str, *, rate: float, seconds: float, contacts: int,
            senders: int = 8, grace: float = 5.0) -> dict:
    """Post `rate * seconds` messages on schedule and time each one's arrival on the agent's socket."""
    run = f"lat{time.time_ns()}"
    marker = re.compile(rf"{run}-(\d+)-(\d+\.\d+)")
    total = max(1, int(rate * seconds))
    ws_url = base_url.replace("http://", "ws://", 1) + f"/ws/w/{target.slug}/"
    latencies: dict[int, float] = {}
    with connect(ws_url, origin=base_url, additional_headers={"Cookie": f"sessionid={session}"}, proxy=None,
                 compression=None, open_timeout=10, close_timeout=2, max_queue=1024, legacy=True) as socket:
        hello = json.loads(socket.recv(timeout=10))
        if hello.get("event") != "hello":
            raise RuntimeError(f"the agent's socket did not say hello: {hello}")
        start = time.time() + 0.3
        workers = [Sender(base_url, target, run=run, start=start, rate=rate, total=total, contacts=contacts, k=k,
                          senders=senders) for k in range(senders)]
        for worker in workers:
            worker.thread.start()
        hard_stop = start + 3 * seconds + grace + 30  # bounded whatever the server does
        finished_at = None
        while time.time() < hard_stop:
            if finished_at is None and not any(w.thread.is_alive() for w in workers):
                finished_at = time.time()
            if finished_at is not None and (len(latencies) >= sum(w.ok for w in workers)
                                            or time.time() > finished_at + grace):
                break
            try:
                frame = socket.recv(timeout=0.2)
            except TimeoutError:
                continue
            arrived = time.time()
            event = json.loads(frame)
            if event.get("event") != "message.created":
                continue
            found = marker.search(event.get("payload", {}).get("html", ""))
            if found:
                latencies.setdefault(int(found[1]), arrived - float(found[2]))
        for worker in workers:
            worker.thread.join(timeout=15)
    ok = sum(w.ok for w in workers)
    values = [1000 * v for v in latencies.values()]
    return {"rate": rate, "seconds": seconds, "sent": ok, "failed": sum(w.failed for w in workers),
            "received": len(latencies), "missed": max(0, ok - len(latencies)),
            "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99),
            "max_ms": max(values, default=float("nan")), "sender_lag_ms": 1000 * max(w.max_lag for w in workers)}


def describe(figures: dict) -> str:
    return (f"live latency at {figures['rate']:g} msg/s for {figures['seconds']:g} s: p50 {figures['p50_ms']:.0f} ms, "
            f"p95 {figures['p95_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, max {figures['max_ms']:.0f} ms; "
            f"{figures['received']} of {figures['sent']} events arrived, {figures['missed']} missed, "
            f"{figures['failed']} posts failed; sender behind schedule by up to {figures['sender_lag_ms']:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8, help="keep-alive connections posting on schedule")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (when this script starts it)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", _ingest.DEFAULT_REDIS))
    args = parser.parse_args()
    with _ingest.bench_database(f"parley_bench_latency_{os.getpid()}", args.redis_url) as bench:
        workspace, member = _ingest.bench_workspace()
        target = _ingest.api_channel(workspace, "Latency")
        session = _ingest.session_key(member)
        from django.db import connections

        connections.close_all()
        with _ingest.uvicorn_server(bench.env, workers=args.workers) as base_url:
            figures = measure(base_url, target, session, rate=args.rate, seconds=args.seconds,
                              contacts=args.contacts, senders=args.senders)
    print(describe(figures))
    _ingest.print_result("latency", **figures)


if __name__ == "__main__":
    _ingest.run_main(main)
