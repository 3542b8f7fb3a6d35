"""The engine's guarantees: a run per (workflow, event) even when its task is delivered again; what a workflow
does never triggers workflows again (no loops); closing a conversation cancels its waits; while the bot owns a
conversation, assignment on "conversation opened" waits for the bot to hand it over."""

from __future__ import annotations

import pytest
from django.test import override_settings

from contacts.models import Tag
from inbox.models import Conversation, Message
from inbox.services.closing import conversation_close
from kernel import events as e
from kernel.dispatch import record
from kernel.models import Job
from tests import factories as f
from tests.inbox.helpers import inbound
from workflows.models import Step, Workflow, WorkflowRun
from workflows.tasks import handle_event, resume_run

from .helpers import assign_step, make_workflow, run_jobs

pytestmark = pytest.mark.django_db

T, K = Workflow.Trigger, Step.Kind
BOT_HOLDS = "tests.workflows.test_engine.bot_holds"
_held: set[int] = set()


def bot_holds(*, workspace, conversation_id: int) -> bool:
    return conversation_id in _held


def test_a_redelivered_task_neither_assigns_nor_sends_twice(world):
    make_workflow(world.ws, steps=[assign_step(strategy=Step.Strategy.SPECIFIC, member=world.demo.agent),
                                   {"kind": K.SEND_MESSAGE, "text": "Hello!"}])
    conversation = inbound(world.ws, world.channel).conversation
    job = Job.objects.get(task="workflows.tasks.handle_event", args__1="ConversationOpened")
    handle_event(*job.args)
    handle_event(*job.args)  # the broker delivered it again (a worker died before acking)
    run_jobs()
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 1
    assert conversation.log.filter(kind="assigned").count() == 1
    assert WorkflowRun.objects.count() == 1


def test_a_redelivered_resume_runs_the_rest_once(world):
    make_workflow(world.ws, steps=[{"kind": K.WAIT, "duration": 1, "unit": "seconds"},
                                   {"kind": K.SEND_MESSAGE, "text": "After the wait"}])
    conversation = inbound(world.ws, world.channel).conversation
    run_jobs()
    job = Job.objects.get(task="workflows.tasks.resume_run")
    resume_run(*job.args)
    resume_run(*job.args)
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 1


def test_what_a_workflow_does_triggers_no_workflow(world):
    vip = Tag.objects.create(workspace=world.ws, name="vip")
    category = f.make_category(world.ws)
    make_workflow(world.ws, steps=[{"kind": K.ADD_TAG, "tag": vip},
                                   assign_step(strategy=Step.Strategy.SPECIFIC, member=world.demo.agent),
                                   {"kind": K.CLOSE, "category": category, "text": "auto"}])
    # Each of these would fire on what the first workflow does — and would loop if they could.
    make_workflow(world.ws, T.CONTACT_TAGGED, steps=[{"kind": K.REMOVE_TAG, "tag": vip}])
    make_workflow(world.ws, T.CONVERSATION_CLOSED, steps=[{"kind": K.ADD_COMMENT, "text": "closed hook"}])
    conversation = inbound(world.ws, world.channel).conversation
    run_jobs()
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert list(conversation.contact.tags.values_list("name", flat=True)) == ["vip"]
    assert not Message.objects.filter(conversation=conversation, kind="note").exists()
    assert WorkflowRun.objects.count() == 1


def test_two_workflows_that_would_feed_each_other_run_once_each(world):
    a, b = Tag.objects.create(workspace=world.ws, name="a"), Tag.objects.create(workspace=world.ws, name="b")
    make_workflow(world.ws, T.CONTACT_TAGGED, trigger_tag=a, steps=[{"kind": K.ADD_TAG, "tag": b}])
    make_workflow(world.ws, T.CONTACT_TAGGED, trigger_tag=b, steps=[{"kind": K.REMOVE_TAG, "tag": a},
                                                                     {"kind": K.ADD_TAG, "tag": a}])
    contact = f.make_contact(world.ws, world.channel)
    from contacts.services.tags import contact_tag_add

    contact_tag_add(workspace=world.ws, contact_id=contact.pk, tag=a, actor=world.demo.admin)
    assert run_jobs() <= 2
    assert WorkflowRun.objects.count() == 1 and set(contact.tags.values_list("name", flat=True)) == {"a", "b"}


def test_closing_the_conversation_cancels_a_wait(world):
    make_workflow(world.ws, steps=[{"kind": K.WAIT, "duration": 10, "unit": "minutes"},
                                   {"kind": K.SEND_MESSAGE, "text": "Are you still there?"}])
    conversation = inbound(world.ws, world.channel).conversation
    run_jobs()
    conversation_close(workspace=world.ws, conversation_id=conversation.pk, category=f.make_category(world.ws),
                       summary="Solved", actor=world.demo.agent)
    run_jobs()
    run = WorkflowRun.objects.get()
    assert run.state == "cancelled" and run.log[-1]["text"] == "Cancelled: the conversation was closed."
    run_jobs(delayed=True)  # the countdown fires anyway: it finds the run cancelled
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()


def test_a_wait_that_outlives_a_close_nobody_reported_still_stops(world):
    make_workflow(world.ws, steps=[{"kind": K.WAIT, "duration": 1, "unit": "minutes"},
                                   {"kind": K.SEND_MESSAGE, "text": "Are you still there?"}])
    conversation = inbound(world.ws, world.channel).conversation
    run_jobs()
    Conversation.objects.filter(pk=conversation.pk).update(status="closed")  # no event: the resume checks itself
    run_jobs(delayed=True)
    assert WorkflowRun.objects.get().state == "cancelled"
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()


@override_settings(PARLEY_BOT_HOLDS_CONVERSATION=BOT_HOLDS)
def test_assignment_on_opening_waits_while_the_bot_owns_the_conversation(world):
    make_workflow(world.ws, steps=[assign_step(strategy=Step.Strategy.SPECIFIC, member=world.demo.agent)])
    result = inbound(world.ws, world.channel)
    _held.add(result.conversation.pk)
    try:
        run_jobs()
        assert WorkflowRun.objects.get().state == "held"
        assert Conversation.objects.get(pk=result.conversation.pk).assignee_id is None
        record(e.ConversationHandedOver(workspace_id=world.ws.pk, conversation_id=result.conversation.pk))
        run_jobs()
    finally:
        _held.discard(result.conversation.pk)
    assert Conversation.objects.get(pk=result.conversation.pk).assignee_id == world.demo.agent.pk
    assert WorkflowRun.objects.get().state == "done"
