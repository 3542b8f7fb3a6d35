"""A wait step really waits — in the embedded mode (the worker inside the server process) and with a real worker
on Redis — and what a closed conversation was waiting for never runs."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from config.celery import app
from inbox.models import Message
from inbox.services.closing import conversation_close
from tests import factories as f
from tests.e2e.servers import celery_worker_running
from tests.inbox.helpers import inbound
from tests.kernel.test_embedded import PYTHON, ROOT, embedded_env
from workflows.models import Step, WorkflowRun

from .helpers import make_workflow


def later(world, seconds: int = 2):
    return make_workflow(world.ws, steps=[{"kind": Step.Kind.WAIT, "duration": seconds, "unit": "seconds"},
                                          {"kind": Step.Kind.ADD_COMMENT, "text": "two seconds later"}])


def test_in_the_embedded_mode_a_wait_waits_and_a_close_cancels_it(tmp_path):
    result = subprocess.run([PYTHON, "-m", "tests.workflows.embedded_wait_probe"], cwd=ROOT,
                            env=embedded_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["mode"] == "embedded" and report["broker"].startswith("memory://")
    assert report["noted"] is not None and report["noted"] - report["opened"] >= 1.95
    assert report["closed_notes"] == 0
    assert report["states"] == {str(report["kept"]): "done", str(report["closed"]): "cancelled"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_a_wait_waits_and_a_close_cancels_it(world):
    later(world)
    with celery_worker_running(app):
        kept = inbound(world.ws, world.channel, contact="kept", msg="k-1").conversation
        opened = time.time()
        closed = inbound(world.ws, world.channel, contact="closed", msg="c-1").conversation
        time.sleep(0.5)
        conversation_close(workspace=world.ws, conversation_id=closed.pk, category=f.make_category(world.ws),
                           summary="bye", actor=world.demo.agent)
        deadline = time.monotonic() + 20
        while not Message.objects.filter(conversation=kept, kind="note").exists():
            assert time.monotonic() < deadline, "the wait never ended"
            time.sleep(0.05)
        note = Message.objects.get(conversation=kept, kind="note")
        assert note.created_at.timestamp() - opened >= 1.95
        time.sleep(2)
    assert not Message.objects.filter(conversation=closed, kind="note").exists()
    assert dict(WorkflowRun.objects.values_list("conversation_id", "state")) == {kept.pk: "done",
                                                                                 closed.pk: "cancelled"}
