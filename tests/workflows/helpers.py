"""Workflow test helpers: a workflow in one call, the engine's jobs run in this thread, presence by hand."""

from __future__ import annotations

import itertools

from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from kernel.models import Job
from realtime import presence
from workflows.models import Condition, Step, Workflow
from workflows.selectors import refresh_profile
from workspaces.models import Membership

_names = itertools.count(1)


def make_workflow(workspace, trigger: str = Workflow.Trigger.CONVERSATION_OPENED, *, steps: list[dict] = (),
                  conditions: list[dict] = (), name: str | None = None, **fields) -> Workflow:
    """A workflow with its conditions and steps (in order); the engine's profile is refreshed like the admin's."""
    workflow = Workflow.objects.create(workspace=workspace, name=name or f"Workflow {next(_names)}", trigger=trigger,
                                       **fields)
    for position, condition in enumerate(conditions, start=1):
        Condition.objects.create(workspace=workspace, workflow=workflow, position=position, **condition)
    for position, step in enumerate(steps, start=1):
        Step.objects.create(workspace=workspace, workflow=workflow, position=position, **step)
    refresh_profile(workspace.pk)
    return workflow


def assign_step(**fields) -> dict:
    return {"kind": Step.Kind.ASSIGN, "strategy": Step.Strategy.ROUND_ROBIN, "online_only": False, **fields}


def pending_jobs(prefix: str = "workflows.") -> list[Job]:
    return list(Job.objects.filter(state=Job.State.PENDING, task__startswith=prefix).order_by("id"))


def run_jobs(*, prefix: str = "workflows.", delayed: bool = False, limit: int = 500) -> int:
    """Run the pending jobs of these tasks here, in order, as the worker would (each once; jobs they enqueue
    run too). Delayed jobs (a countdown not yet due) only with delayed=True. Returns how many ran."""
    ran = 0
    while ran < limit:
        due = Job.objects.filter(state=Job.State.PENDING, task__startswith=prefix)
        if not delayed:
            due = due.filter(run_after__lte=timezone.now())
        job = due.order_by("run_after", "id").first()
        if job is None:
            return ran
        Job.objects.filter(pk=job.pk).update(state=Job.State.DONE)
        import_string(job.task)(*job.args)
        ran += 1
    raise AssertionError("jobs keep enqueueing jobs")


def online(*members: Membership) -> None:
    """The members' inbox pages are connected (as the agents' socket marks them)."""
    for member in members:
        presence.socket_opened(workspace_id=member.workspace_id, membership_id=member.pk, socket_id=f"test-{member.pk}")


def offline(*members: Membership) -> None:
    for member in members:
        cache.delete(f"parley:presence:{member.pk}")


def everyone_offline() -> None:
    """Presence lives in the cache, which outlives a test's database: start from nobody online."""
    offline(*Membership.objects.all())
