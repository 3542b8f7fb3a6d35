"""The workflows' entry in the listener table (config/listeners.py): one task per event that needs the engine.

`when` asks the engine, without a query (a cached profile of the workspace's workflows), whether the event
matters: a workspace without workflows pays nothing, not even a job row, on the inbound hot path.
"""

from __future__ import annotations

from dataclasses import asdict

from kernel.dispatch import Task

from .services import engine

HANDLE = "workflows.tasks.handle_event"


def _args(event: object) -> tuple:
    return (event.workspace_id, type(event).__name__, asdict(event))


def reacting() -> Task:
    """The task listener for any of engine.EVENT_TYPES."""
    return Task(HANDLE, _args, when=engine.wants)
