"""Run by tests/workflows/test_waits.py in a fresh interpreter in the embedded mode (SQLite, in-memory broker):

    python -m tests.workflows.embedded_wait_probe

starts the embedded runtime as the server does, opens two conversations on a workflow "wait 2 s, then add a
comment", closes the second before its wait is over, and prints one JSON line with what happened when.
Not a test module itself (no test_ prefix).
"""

from __future__ import annotations

import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from inbox.models import Channel, ClosingCategory, Message  # noqa: E402
from inbox.services.closing import conversation_close  # noqa: E402
from kernel import embedded  # noqa: E402
from tests.inbox.helpers import inbound  # noqa: E402
from workflows.models import Step, Workflow, WorkflowRun  # noqa: E402
from workflows.selectors import refresh_profile  # noqa: E402
from workspaces.models import Membership, User, Workspace  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.create(name="Probe", slug="probe")
    channel = Channel.objects.create(workspace=workspace, kind="api", name="API")
    category = ClosingCategory.objects.create(workspace=workspace, name="Done")
    member = Membership.objects.create(workspace=workspace, user=User.objects.create_user("p@probe.test", "pw"))
    workflow = Workflow.objects.create(workspace=workspace, name="Later", trigger=Workflow.Trigger.CONVERSATION_OPENED)
    Step.objects.create(workspace=workspace, workflow=workflow, position=1, kind=Step.Kind.WAIT, duration=2,
                        unit="seconds")
    Step.objects.create(workspace=workspace, workflow=workflow, position=2, kind=Step.Kind.ADD_COMMENT,
                        text="two seconds later")
    refresh_profile(workspace.pk)
    runtime = embedded.start()
    kept = inbound(workspace, channel, contact="kept", msg="k-1").conversation
    opened_at = time.time()
    closed = inbound(workspace, channel, contact="closed", msg="c-1").conversation
    time.sleep(0.5)
    conversation_close(workspace=workspace, conversation_id=closed.pk, category=category, summary="bye",
                       actor=member)
    deadline = time.monotonic() + 20
    note = None
    while note is None and time.monotonic() < deadline:
        note = Message.objects.filter(conversation=kept, kind="note").first()
        time.sleep(0.05)
    time.sleep(2.5)  # the closed one's countdown is due by now too
    runtime.stop()
    print(json.dumps({
        "mode": settings.PARLEY_MODE, "broker": settings.CELERY_BROKER_URL, "opened": opened_at,
        "noted": note.created_at.timestamp() if note else None,
        "closed_notes": Message.objects.filter(conversation=closed, kind="note").count(),
        "states": {str(r.conversation_id): r.state for r in WorkflowRun.objects.all()},
        "kept": kept.pk, "closed": closed.pk,
    }))


if __name__ == "__main__":
    main()
