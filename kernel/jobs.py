"""Background work, named by task path: the one way services and the dispatcher ask for a Celery task.

`enqueue("inbox.tasks.deliver_message", workspace_id, message_id)` inside a transaction: the task is sent
only if the transaction commits. Callers never import tasks (services never do): they name them.

This first version hands the task to Celery after commit. The durable version (a transactional outbox:
the row saying "do this" is written in the same transaction, a relay sends it, sweeps resend what was
lost) replaces the body of `enqueue`, not its callers.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def enqueue(task: str, *args: object, countdown: float | None = None) -> None:
    """Run the Celery task at dotted path `task` with JSON-able `args` after the current transaction commits."""

    def send() -> None:
        celery_task = import_string(task)
        if countdown is None:
            celery_task.delay(*args)
        else:
            celery_task.apply_async(args=args, countdown=countdown)

    transaction.on_commit(send, robust=True)
