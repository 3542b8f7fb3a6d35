"""Thin Celery tasks: ids in, scoped load, call the engine (every one is idempotent: see services/engine.py)."""

from __future__ import annotations

from celery import shared_task

from workspaces.models import Workspace

from .services import assign, engine


@shared_task(acks_late=True)
def handle_event(workspace_id: int, event_type: str, payload: dict) -> None:
    """A domain event the workflows react to (config/listeners.py enqueues it with the event's fields)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    event_class = engine.EVENT_TYPES.get(event_type)
    if workspace is None or event_class is None:
        return
    engine.handle_event(workspace=workspace, event=event_class(**payload))


@shared_task(acks_late=True)
def resume_run(workspace_id: int, run_id: int, step_id: int) -> None:
    """After a wait step's countdown (or once a queued conversation got its agent)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is not None:
        engine.resume_run(workspace=workspace, run_id=run_id, step_id=step_id)


@shared_task(acks_late=True)
def check_timeout(workspace_id: int, run_id: int, step_id: int, conversation_id: int, assignee_id: int,
                  log_id: int | None, excluded: list[int]) -> None:
    """N minutes after an assignment: reassign if the assignee has not answered."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is not None:
        assign.check_timeout(workspace=workspace, run_id=run_id, step_id=step_id, conversation_id=conversation_id,
                             assignee_id=assignee_id, log_id=log_id, excluded=excluded)


@shared_task(acks_late=True)
def drain_waiting(workspace_id: int) -> int:
    """Assign waiting conversations to whoever qualifies now (also safe to run by hand at any time)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return assign.drain(workspace=workspace) if workspace is not None else 0
