"""Domain events: recorded in a transaction, handed to the listeners of the one table after commit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from config.listeners import LISTENERS
from kernel import dispatch, events, jobs


@dataclass(frozen=True)
class Happened:
    workspace_id: int
    thing_id: int


@pytest.fixture
def table(monkeypatch):
    """A private table for one test (the real one is config/listeners.py)."""
    calls: list = []
    rows: dict = {Happened: [lambda e: calls.append(("first", e.thing_id)),
                             lambda e: calls.append(("second", e.thing_id))]}
    monkeypatch.setattr(dispatch, "_table", lambda: rows)
    return calls, rows


def test_listeners_run_after_commit_in_table_order(table, transactional_db):
    calls, _rows = table
    with transaction.atomic():
        dispatch.record(Happened(1, 7))
        assert calls == []  # nothing while the transaction is open
    assert calls == [("first", 7), ("second", 7)]


def test_nothing_runs_when_the_transaction_rolls_back(table, transactional_db):
    calls, _rows = table
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.record(Happened(1, 7))
        raise RuntimeError("the write failed")
    assert calls == []


def test_a_failing_listener_is_logged_and_the_others_still_run(table, transactional_db, caplog):
    calls, rows = table
    rows[Happened].insert(0, lambda e: 1 / 0)
    dispatch.record(Happened(1, 8))
    assert calls == [("first", 8), ("second", 8)]
    assert "failed on Happened" in caplog.text


def test_task_listeners_are_enqueued_with_their_ids_only_when_they_apply(table, monkeypatch, transactional_db):
    calls, rows = table
    queued: list = []
    monkeypatch.setattr(jobs, "enqueue", lambda path, *args, countdown=None: queued.append((path, args)))
    rows[Happened] = [dispatch.Task("some.tasks.work", lambda e: (e.workspace_id, e.thing_id),
                                    when=lambda e: e.thing_id > 5), *rows[Happened]]
    dispatch.record(Happened(1, 3))
    dispatch.record(Happened(1, 9))
    assert queued == [("some.tasks.work", (1, 9))]
    assert calls == [("first", 3), ("second", 3), ("first", 9), ("second", 9)]


def test_the_real_table_names_only_known_events_and_callables():
    known = {v for v in vars(events).values() if isinstance(v, type) and v.__module__ == events.__name__}
    for event_type, listeners in LISTENERS.items():
        assert event_type in known, event_type
        assert listeners and all(callable(listener) or isinstance(listener, dispatch.Task) for listener in listeners)
