"""The assign step: round robin, fewest open, the contact's previous assignee (else a fallback), a specific
member; among a team; online only; capacity; the answer timeout; and the waiting queue — nobody qualifies, so
the conversation waits and is assigned as soon as someone does, the one waiting longest first."""

from __future__ import annotations

import pytest

from inbox.models import Conversation, ConversationEvent
from inbox.services.assignment import conversation_assign
from inbox.services.closing import conversation_close
from inbox.services.replying import send_reply
from kernel.models import Job
from realtime import presence
from tests import factories as f
from tests.inbox.helpers import inbound
from workflows.models import Step, WaitingConversation, Workflow, WorkflowRun
from workflows.tasks import check_timeout
from workspaces.models import Team

from .helpers import assign_step, make_workflow, online, run_jobs

pytestmark = pytest.mark.django_db

S = Step.Strategy


def open_conversations(world, n: int, start: int = 0) -> list[int]:
    ids = [inbound(world.ws, world.channel, contact=f"c-{start + i}", msg=f"m-{start + i}").conversation.pk
           for i in range(n)]
    run_jobs()
    return ids


def assignees(ids: list[int]) -> list[int | None]:
    found = dict(Conversation.objects.filter(pk__in=ids).values_list("pk", "assignee_id"))
    return [found[pk] for pk in ids]


def test_round_robin_takes_turns_in_a_stable_order(world):
    agents = sorted([world.demo.agent, world.demo.agent2], key=lambda m: m.pk)
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(*agents)
    make_workflow(world.ws, steps=[assign_step(team=team)])
    ids = open_conversations(world, 5)
    a, b = agents[0].pk, agents[1].pk
    assert assignees(ids) == [a, b, a, b, a]


def test_the_history_says_which_workflow_assigned(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent2)
    workflow = make_workflow(world.ws, name="Round robin", steps=[assign_step(team=team)])
    [conversation_id] = open_conversations(world, 1)
    line = ConversationEvent.objects.get(conversation_id=conversation_id, kind="assigned")
    assert (line.via, line.workflow_id, line.workflow_name, line.actor_id) == ("workflow", workflow.pk,
                                                                              "Round robin", None)
    html = _history_html(world, conversation_id)
    assert f"Assigned to {world.demo.agent2.display_name} by workflow “Round robin”" in html


def _history_html(world, conversation_id: int) -> str:
    from django.test import Client

    client = Client()
    client.force_login(world.demo.agent.user)
    return client.get(f"/w/{world.demo.slug}/messages/{conversation_id}/").content.decode()


def test_fewest_open_conversations_goes_to_the_least_busy(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2)
    for _ in range(2):
        f.make_conversation(world.ws, channel=world.channel, assignee=world.demo.agent)
    make_workflow(world.ws, steps=[assign_step(team=team, strategy=S.FEWEST_OPEN)])
    ids = open_conversations(world, 3)
    assert assignees(ids) == [world.demo.agent2.pk, world.demo.agent2.pk, world.demo.agent.pk]


def test_previous_assignee_gets_the_returning_contact_else_the_fallback(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2)
    make_workflow(world.ws, steps=[assign_step(team=team, strategy=S.PREVIOUS, fallback=S.ROUND_ROBIN,
                                               capacity=1)])
    first = inbound(world.ws, world.channel, contact="ret", msg="r-1").conversation
    run_jobs()
    conversation_assign(workspace=world.ws, conversation_id=first.pk, assignee=world.demo.agent2,
                        actor=world.demo.admin)
    conversation_close(workspace=world.ws, conversation_id=first.pk, category=f.make_category(world.ws),
                       summary="ok", actor=world.demo.agent2)
    again = inbound(world.ws, world.channel, contact="ret", msg="r-2").conversation
    run_jobs()
    assert assignees([again.pk]) == [world.demo.agent2.pk]  # the agent who knows them
    # agent2 is now at capacity (1): the next returning contact of agent2 falls back to round robin
    second = inbound(world.ws, world.channel, contact="ret2", msg="r2-1").conversation
    run_jobs()
    conversation_assign(workspace=world.ws, conversation_id=second.pk, assignee=world.demo.agent2,
                        actor=world.demo.admin, expected_assignee_id=assignees([second.pk])[0])
    conversation_close(workspace=world.ws, conversation_id=second.pk, category=f.make_category(world.ws),
                       summary="ok", actor=world.demo.agent2)
    back = inbound(world.ws, world.channel, contact="ret2", msg="r2-2").conversation
    run_jobs()
    assert assignees([back.pk]) == [world.demo.agent.pk]


def test_a_specific_member(world):
    make_workflow(world.ws, steps=[assign_step(strategy=S.SPECIFIC, member=world.demo.supervisor)])
    assert assignees(open_conversations(world, 2)) == [world.demo.supervisor.pk] * 2


def test_online_only_skips_offline_and_away_members(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2, world.demo.supervisor)
    online(world.demo.agent, world.demo.agent2)
    presence.set_away(workspace=world.ws, membership=world.demo.agent2, away=True)
    make_workflow(world.ws, steps=[assign_step(team=team, online_only=True)])
    assert assignees(open_conversations(world, 3)) == [world.demo.agent.pk] * 3


def test_an_assigned_conversation_is_left_to_its_assignee(world):
    make_workflow(world.ws, Workflow.Trigger.MESSAGE_RECEIVED,
                  steps=[assign_step(strategy=S.SPECIFIC, member=world.demo.agent2)])
    conversation = f.make_conversation(world.ws, channel=world.channel, assignee=world.demo.agent)
    inbound(world.ws, world.channel, contact=conversation.contact.identities.get().external_id, msg="x-1")
    run_jobs()
    assert assignees([conversation.pk]) == [world.demo.agent.pk]
    assert WorkflowRun.objects.get().log[0]["text"] == "Already assigned: left as it is."


def test_nobody_online_means_waiting_and_the_first_to_come_online_gets_the_oldest_first(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent)
    make_workflow(world.ws, name="Online only", steps=[assign_step(team=team, online_only=True, capacity=2),
                                                       {"kind": Step.Kind.ADD_COMMENT, "text": "assigned now"}])
    ids = open_conversations(world, 3)
    assert assignees(ids) == [None, None, None]
    assert list(WaitingConversation.objects.order_by("since").values_list("conversation_id", flat=True)) == ids
    assert ConversationEvent.objects.filter(kind="waiting", workflow_name="Online only").count() == 3
    assert set(WorkflowRun.objects.values_list("state", flat=True)) == {"queued"}
    online(world.demo.agent)  # MemberAvailable: the queue drains, within capacity, oldest first
    run_jobs()
    assert assignees(ids) == [world.demo.agent.pk, world.demo.agent.pk, None]
    done = WorkflowRun.objects.filter(conversation_id=ids[0]).get()
    assert done.state == "done" and done.log[-1]["text"] == "Added the internal comment “assigned now”."
    # Freeing capacity (a close) lets the one still waiting in.
    conversation_close(workspace=world.ws, conversation_id=ids[0], category=f.make_category(world.ws),
                       summary="done", actor=world.demo.agent)
    run_jobs()
    assert assignees(ids[1:]) == [world.demo.agent.pk, world.demo.agent.pk]
    assert not WaitingConversation.objects.exists()


def test_new_conversations_do_not_jump_the_queue(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent)
    make_workflow(world.ws, steps=[assign_step(team=team, capacity=1)])
    first, second = open_conversations(world, 2)
    assert assignees([first, second]) == [world.demo.agent.pk, None]
    conversation_close(workspace=world.ws, conversation_id=first, category=f.make_category(world.ws),
                       summary="done", actor=world.demo.agent)
    [third] = open_conversations(world, 1, start=10)  # before the close is handled, a new one arrives
    assert assignees([second, third]) == [world.demo.agent.pk, None]


def test_a_waiting_conversation_someone_assigns_or_closes_leaves_the_queue(world):
    make_workflow(world.ws, steps=[assign_step(online_only=True)])
    taken, closed = open_conversations(world, 2)
    conversation_assign(workspace=world.ws, conversation_id=taken, assignee=world.demo.agent2,
                        actor=world.demo.admin)
    conversation_close(workspace=world.ws, conversation_id=closed, category=f.make_category(world.ws),
                       summary="done", actor=world.demo.admin)
    run_jobs()
    assert not WaitingConversation.objects.exists()
    states = dict(WorkflowRun.objects.values_list("conversation_id", "state"))
    assert states == {taken: "done", closed: "cancelled"}


def test_no_answer_within_the_timeout_reassigns_by_the_same_strategy(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2)
    make_workflow(world.ws, steps=[assign_step(team=team, timeout_minutes=10)])
    [conversation_id] = open_conversations(world, 1)
    first = assignees([conversation_id])[0]
    job = Job.objects.get(task="workflows.tasks.check_timeout")
    assert (job.run_after - job.created_at).total_seconds() == pytest.approx(600, abs=1)
    check_timeout(*job.args)  # ten minutes later, nobody answered
    second = assignees([conversation_id])[0]
    assert second not in (None, first)
    line = ConversationEvent.objects.filter(conversation_id=conversation_id, kind="assigned").latest("id")
    assert line.via == "workflow" and line.assignee_id == second
    assert "did not answer within 10 minutes: reassigned to" in WorkflowRun.objects.get().log[-1]["text"]


def test_an_answer_within_the_timeout_keeps_the_assignee(world):
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2)
    make_workflow(world.ws, steps=[assign_step(team=team, timeout_minutes=10)])
    [conversation_id] = open_conversations(world, 1)
    first = Conversation.objects.get(pk=conversation_id).assignee
    send_reply(workspace=world.ws, conversation_id=conversation_id, member=first, body="On it!")
    check_timeout(*Job.objects.get(task="workflows.tasks.check_timeout").args)
    assert assignees([conversation_id]) == [first.pk]
