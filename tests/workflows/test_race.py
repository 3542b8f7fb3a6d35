"""Race safety with a real Celery worker (threads) against PostgreSQL: 200 conversations opened at once are
all assigned, round robin stays fair (counts differ by at most one), capacity is never exceeded — and what
waits is assigned the moment capacity frees, never beyond it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Count

from config.celery import app
from inbox.models import Conversation
from inbox.services.closing import conversation_close
from tests import factories as f
from tests.e2e.servers import celery_worker_running
from tests.inbox.helpers import inbound
from workflows.models import Step, WaitingConversation
from workspaces.models import Team

from .helpers import assign_step, make_workflow, online

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CONVERSATIONS = 200


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def open_concurrently(workspace, channel, n: int, threads: int = 8) -> list[int]:
    def one(i: int) -> int:
        try:
            return inbound(workspace, channel, contact=f"race-{i}", msg=f"race-{i}", text="hi").conversation.pk
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(n)))


def counts(workspace) -> dict[int, int]:
    return dict(Conversation.objects.for_workspace(workspace).open().filter(assignee__isnull=False)
                .values_list("assignee_id").annotate(n=Count("id")).order_by())


def unassigned(workspace) -> int:
    return Conversation.objects.for_workspace(workspace).open().filter(assignee__isnull=True).count()


def support(world, n: int) -> list:
    agents = [world.demo.agent, world.demo.agent2, *[f.make_member(world.ws, "agent") for _ in range(n - 2)]]
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(*agents)
    online(*agents)
    return team, agents


def test_200_conversations_opened_at_once_are_all_assigned_round_robin_fairly(world):
    team, agents = support(world, 4)
    make_workflow(world.ws, steps=[assign_step(team=team, online_only=True)])
    with celery_worker_running(app, concurrency=4):
        ids = open_concurrently(world.ws, world.channel, CONVERSATIONS)
        wait_for(lambda: unassigned(world.ws) == 0, 60, "every conversation to be assigned")
    assert len(set(ids)) == CONVERSATIONS
    per_agent = counts(world.ws)
    assert set(per_agent) == {a.pk for a in agents}
    assert sum(per_agent.values()) == CONVERSATIONS
    assert max(per_agent.values()) - min(per_agent.values()) <= 1, per_agent


def test_capacity_is_never_exceeded_and_freed_capacity_takes_the_waiting_oldest_first(world):
    team, agents = support(world, 3)
    make_workflow(world.ws, steps=[assign_step(team=team, online_only=True, strategy=Step.Strategy.FEWEST_OPEN,
                                               capacity=50)])
    category = f.make_category(world.ws)
    with celery_worker_running(app, concurrency=4):
        open_concurrently(world.ws, world.channel, CONVERSATIONS)
        wait_for(lambda: WaitingConversation.objects.count() == CONVERSATIONS - 150, 60, "the queue to settle")
        assert counts(world.ws) == {a.pk: 50 for a in agents}
        oldest_waiting = list(WaitingConversation.objects.order_by("since", "id")
                              .values_list("conversation_id", flat=True)[:20])
        done = list(Conversation.objects.filter(assignee=agents[0]).values_list("pk", flat=True)[:20])

        def close(pk: int) -> None:
            try:
                conversation_close(workspace=world.ws, conversation_id=pk, category=category, summary="done",
                                   actor=agents[0])
            finally:
                connection.close()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(close, done))
        wait_for(lambda: WaitingConversation.objects.count() == CONVERSATIONS - 170, 60, "the freed capacity")
    assert counts(world.ws) == {a.pk: 50 for a in agents}
    assert set(Conversation.objects.filter(pk__in=oldest_waiting).values_list("assignee_id", flat=True)) == {
        agents[0].pk}
