"""What the admin's saves go through: steps in a clean order, and the engine told what changed at once."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from .. import selectors
from ..models import Condition, Step, Workflow


@transaction.atomic
def workflow_saved(*, workspace_id: int, workflow_id: int) -> None:
    """After the admin saved a workflow and its rows: number steps and conditions 1, 2, 3 … in the order
    shown (rows left without a number go last, in the order they were added); refresh the engine's profile."""
    for model in (Step, Condition):
        rows = list(model.objects.for_workspace(workspace_id).filter(workflow_id=workflow_id))
        rows.sort(key=lambda r: (r.position is None or r.position == 0, r.position or 0, r.pk))
        for number, row in enumerate(rows, start=1):
            if row.position != number:
                model.objects.filter(pk=row.pk).update(position=number)
    transaction.on_commit(lambda: selectors.refresh_profile(workspace_id))


def workflows_changed(*, workspace_id: int) -> None:
    transaction.on_commit(lambda: selectors.refresh_profile(workspace_id))


@transaction.atomic
def workflows_enable(*, queryset: QuerySet[Workflow], enabled: bool) -> int:
    workspace_ids = set(queryset.values_list("workspace_id", flat=True))
    count = queryset.update(enabled=enabled)
    for workspace_id in workspace_ids:
        workflows_changed(workspace_id=workspace_id)
    return count
