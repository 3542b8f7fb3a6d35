"""Every trigger starts its workflows — and only its own: opened, message received (with words), closed,
unassigned, a contact tagged, a member becoming available. Events go the real way: the service records
them, the listener table enqueues the engine's job, the job runs the workflow."""

from __future__ import annotations

import pytest

from contacts.models import Tag
from contacts.services.tags import contact_tag_add
from inbox.models import Conversation, Message
from inbox.services.assignment import conversation_assign
from inbox.services.closing import conversation_close
from tests import factories as f
from tests.inbox.helpers import inbound
from workflows.models import Step, Workflow, WorkflowRun

from .helpers import assign_step, make_workflow, online, pending_jobs, run_jobs

pytestmark = pytest.mark.django_db

T = Workflow.Trigger


def comment(text: str = "Workflow was here") -> dict:
    return {"kind": Step.Kind.ADD_COMMENT, "text": text}


def notes(conversation_id: int) -> list[str]:
    return list(Message.objects.filter(conversation_id=conversation_id, kind="note").values_list("body", flat=True))


def test_a_workspace_without_workflows_enqueues_nothing_for_its_events(world):
    result = inbound(world.ws, world.channel, text="hello")
    conversation_assign(workspace=world.ws, conversation_id=result.conversation.pk, assignee=world.demo.agent,
                        actor=world.demo.admin)
    assert pending_jobs() == []


def test_conversation_opened_runs_once_per_conversation(world):
    make_workflow(world.ws, T.CONVERSATION_OPENED, steps=[comment("opened")])
    first = inbound(world.ws, world.channel, msg="m-1")
    inbound(world.ws, world.channel, msg="m-2")  # same conversation: not opened again
    run_jobs()
    assert notes(first.conversation.pk) == ["opened"]
    run = WorkflowRun.objects.get()
    assert (run.state, run.event_key, run.trigger) == ("done", f"opened:{first.conversation.pk}", T.CONVERSATION_OPENED)


def test_message_received_runs_for_every_message_or_only_those_with_the_words(world):
    make_workflow(world.ws, T.MESSAGE_RECEIVED, steps=[comment("any")])
    make_workflow(world.ws, T.MESSAGE_RECEIVED, steps=[comment("refund")], trigger_words="Refund, money back")
    result = inbound(world.ws, world.channel, msg="m-1", text="Hello")
    inbound(world.ws, world.channel, msg="m-2", text="I want my MONEY BACK please")
    run_jobs()
    assert sorted(notes(result.conversation.pk)) == ["any", "any", "refund"]


def test_conversation_closed_runs_after_the_close(world):
    make_workflow(world.ws, T.CONVERSATION_CLOSED, steps=[comment("closed")])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    conversation_close(workspace=world.ws, conversation_id=conversation.pk, category=f.make_category(world.ws),
                       summary="Done", actor=world.demo.agent)
    run_jobs()
    assert notes(conversation.pk) == ["closed"]


def test_conversation_unassigned_runs_when_someone_unassigns_not_when_assigning(world):
    make_workflow(world.ws, T.CONVERSATION_UNASSIGNED, steps=[comment("unassigned")])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    conversation_assign(workspace=world.ws, conversation_id=conversation.pk, assignee=world.demo.agent,
                        actor=world.demo.admin)
    run_jobs()
    assert notes(conversation.pk) == []
    conversation_assign(workspace=world.ws, conversation_id=conversation.pk, assignee=None, actor=world.demo.admin)
    run_jobs()
    assert notes(conversation.pk) == ["unassigned"]


def test_contact_tagged_runs_for_its_tag_or_any_and_again_when_tagged_again(world):
    vip, other_tag = Tag.objects.create(workspace=world.ws, name="vip"), Tag.objects.create(workspace=world.ws,
                                                                                            name="late")
    make_workflow(world.ws, T.CONTACT_TAGGED, steps=[comment("vip")], trigger_tag=vip)
    make_workflow(world.ws, T.CONTACT_TAGGED, steps=[comment("any tag")])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    contact = conversation.contact_id
    contact_tag_add(workspace=world.ws, contact_id=contact, tag=vip)
    contact_tag_add(workspace=world.ws, contact_id=contact, tag=other_tag)
    run_jobs()
    assert sorted(notes(conversation.pk)) == ["any tag", "any tag", "vip"]


def test_member_available_runs_on_each_open_unassigned_conversation_oldest_first(world):
    make_workflow(world.ws, T.MEMBER_AVAILABLE, steps=[assign_step(strategy=Step.Strategy.FEWEST_OPEN,
                                                                   online_only=True)])
    older = f.make_conversation(world.ws, channel=world.channel)
    newer = f.make_conversation(world.ws, channel=world.channel)
    taken = f.make_conversation(world.ws, channel=world.channel, assignee=world.demo.agent2)
    online(world.demo.agent)  # records MemberAvailable: the only one online gets both
    run_jobs()
    assignees = dict(Conversation.objects.filter(pk__in=[older.pk, newer.pk, taken.pk])
                     .values_list("pk", "assignee_id"))
    assert assignees == {older.pk: world.demo.agent.pk, newer.pk: world.demo.agent.pk, taken.pk: world.demo.agent2.pk}


def test_a_disabled_workflow_never_runs(world):
    make_workflow(world.ws, T.CONVERSATION_OPENED, steps=[comment("no")], enabled=False)
    result = inbound(world.ws, world.channel)
    run_jobs()
    assert notes(result.conversation.pk) == [] and not WorkflowRun.objects.exists()


def test_another_workspaces_events_never_run_this_workspaces_workflows(world):
    make_workflow(world.ws, T.CONVERSATION_OPENED, steps=[comment("demo only")])
    result = inbound(world.other.workspace, world.other_channel)
    run_jobs()
    assert notes(result.conversation.pk) == [] and not WorkflowRun.objects.exists()
