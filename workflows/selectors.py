"""Reads for the workflows: what a workspace's workflows react to (cached: asked on every event), the
workflows of a trigger, their runs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch

from inbox.models import Conversation

from .models import Condition, Step, Workflow, WorkflowRun

PROFILE_TTL = 300  # seconds in the shared cache (every change rewrites it at once)
LOCAL_TTL = 2.0  # seconds this process trusts its own copy (events are checked in the hot path)
_local: dict[int, tuple[float, Profile]] = {}
_local_lock = threading.Lock()


@dataclass(frozen=True)
class Profile:
    """What a workspace's enabled workflows react to: their triggers, and whether any assigns or waits (upkeep:
    the waiting queue is drained when someone frees capacity or comes online; a close cancels waits)."""

    triggers: frozenset[str] = frozenset()
    upkeep: bool = False


def _key(workspace_id: int) -> str:
    return f"parley:workflows:profile:{int(workspace_id)}"


def _compute(workspace_id: int) -> Profile:
    enabled = Workflow.objects.for_workspace(workspace_id).filter(enabled=True)
    triggers = frozenset(enabled.values_list("trigger", flat=True).distinct())
    upkeep = Step.objects.filter(workflow__in=enabled, kind__in=[Step.Kind.ASSIGN, Step.Kind.WAIT]).exists()
    return Profile(triggers=triggers, upkeep=upkeep)


def profile(workspace_id: int) -> Profile:
    """The workspace's profile: from this process's copy (≤ LOCAL_TTL old), the cache, or the database."""
    now = time.monotonic()
    with _local_lock:
        hit = _local.get(workspace_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    raw = cache.get(_key(workspace_id))
    if raw is None:
        found = _compute(workspace_id)
        cache.set(_key(workspace_id), [sorted(found.triggers), found.upkeep], PROFILE_TTL)
    else:
        found = Profile(triggers=frozenset(raw[0]), upkeep=bool(raw[1]))
    with _local_lock:
        _local[workspace_id] = (now + LOCAL_TTL, found)
    return found


def refresh_profile(workspace_id: int) -> Profile:
    """Recompute after a change to the workspace's workflows (the admin saves through here)."""
    found = _compute(workspace_id)
    cache.set(_key(workspace_id), [sorted(found.triggers), found.upkeep], PROFILE_TTL)
    with _local_lock:
        _local[workspace_id] = (time.monotonic() + LOCAL_TTL, found)
    return found


def workflows_for(*, workspace_id: int, trigger: str) -> list[Workflow]:
    """Enabled workflows of the trigger, in order, with their conditions and steps (three queries)."""
    return list(
        Workflow.objects.for_workspace(workspace_id).filter(enabled=True, trigger=trigger)
        .select_related("trigger_tag")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.select_related("tag")),
            Prefetch("steps", queryset=Step.objects.select_related("member__user", "team", "tag", "category",
                                                                    "snippet", "survey")),
        )
    )


def ordered_steps(workflow: Workflow) -> list[Step]:
    return sorted(workflow.steps.all(), key=lambda s: (s.position is None, s.position or 0, s.pk))


def ordered_conditions(workflow: Workflow) -> list[Condition]:
    return sorted(workflow.conditions.all(), key=lambda c: (c.position, c.pk))


def workflow_with_parts(*, workspace_id: int, workflow_id: int) -> Workflow | None:
    return (
        Workflow.objects.for_workspace(workspace_id).filter(pk=workflow_id)
        .select_related("trigger_tag")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.select_related("tag")),
            Prefetch("steps", queryset=Step.objects.select_related("member__user", "team", "tag", "category",
                                                                    "snippet", "survey")),
        ).first()
    )


def recent_conversations(*, workspace_ids: list[int], limit: int = 100) -> list[Conversation]:
    """For the dry run's picker: the newest conversations (open first) of these workspaces."""
    return list(
        Conversation.objects.filter(workspace_id__in=workspace_ids).select_related("contact", "channel")
        .order_by("status", "-last_activity_at", "-id")[:limit]
    )


def runs_of_conversation(*, workspace_id: int, conversation_id: int) -> list[WorkflowRun]:
    return list(WorkflowRun.objects.for_workspace(workspace_id).filter(conversation_id=conversation_id)
                .select_related("workflow").order_by("created_at", "id"))
