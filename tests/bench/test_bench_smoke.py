"""The ingest benchmark scripts still run end to end (tiny sizes): exit 0 and print their figure lines.

They measure nothing here; timings are never asserted. Each script makes (and drops) its own database on the
test run's PostgreSQL server and uses the test run's Redis database, so concurrent runs never meet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
pytestmark = pytest.mark.services


def run_script(name: str, *args: str, timeout: float = 90) -> str:
    env = {**os.environ, "BENCH_REDIS_URL": os.environ["REDIS_URL"]}
    done = subprocess.run([sys.executable, str(BENCH / name), *args], cwd=BENCH.parent, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def result(stdout: str, name: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    found = [json.loads(line[len("RESULT "):]) for line in lines]
    return next(r for r in found if r["name"] == name)


def test_driver_prints_every_figure_from_one_run():
    out = run_script("ingest.py", "--seconds=1", "--warmup=0", "--connections=4", "--latency-rate=20",
                     "--latency-seconds=1", "--statements=3")
    for label in ("parley (HTTP, wrk)", "bare psycopg loop", "naive ORM loop", "parley / bare:", "parley / ORM:",
                  "statements per message", "live latency at"):
        assert label in out, f"no {label!r} line in:\n{out}"
    figures = result(out, "ingest")
    assert figures["parley"]["messages"] > 0  # wrk's posts were stored, not refused
    assert figures["wrk"]["non2xx"] == 0
    assert figures["bare"]["messages"] > 0 and figures["orm"]["messages"] > 0
    assert figures["latency"]["received"] > 0 and figures["latency"]["failed"] == 0
    assert figures["statements"]["new"] > 0


@pytest.mark.parametrize(("script", "label"), [("ingest_bare.py", "bare psycopg loop:"),
                                               ("ingest_orm.py", "naive ORM loop:")])
def test_loop_runs_alone(script, label):
    out = run_script(script, "--seconds=1", "--contacts=50")
    assert label in out
    assert result(out, script.removeprefix("ingest_").removesuffix(".py"))["messages"] > 0


def test_latency_runs_alone():
    out = run_script("latency.py", "--rate=20", "--seconds=1")
    assert "live latency at 20 msg/s" in out
    assert result(out, "latency")["received"] > 0


def test_the_profiler_runs_the_hook_path_in_process():
    out = run_script("profile_ingest.py", "cprofile", "--messages=20", "--top=10")
    assert "ms per message (under the profiler)" in out and "inbox/hooks.py" in out
