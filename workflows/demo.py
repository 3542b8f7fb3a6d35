"""The demo workspace's workflow: round robin among the Support team's online agents (so `make run` shows
automatic assignment at once: write from /widget/demo/ and the conversation goes to whoever is online)."""

from __future__ import annotations

from django.db import transaction

from contacts.models import Tag
from workspaces import business_hours
from workspaces.models import Membership, Team, Workspace

from .models import Condition, Step, Workflow
from .selectors import refresh_profile

DEMO_WORKFLOW = "Round robin"
DEMO_TEAM = "Support"
AFTER_HOURS = "After hours (example)"
DEMO_HOURS = {"time_zone": "Europe/Madrid", "weekly": {str(day): [["09:00", "18:00"]] for day in range(5)},
              "holidays": ["2026-12-25", "2027-01-01"]}


@transaction.atomic
def ensure_demo_workflow(workspace: Workspace, agents: list[Membership]) -> Workflow:
    """Idempotent: the Support team (the agents), a "vip" tag, business hours, the enabled round robin and a
    disabled example with conditions and more steps."""
    team, _created = Team.objects.get_or_create(workspace=workspace, name=DEMO_TEAM)
    team.members.add(*agents)
    Tag.objects.get_or_create(workspace=workspace, name="vip")
    if not business_hours.for_workspace(workspace).configured:
        workspace.settings = {**(workspace.settings or {}), business_hours.SETTINGS_KEY: DEMO_HOURS}
        workspace.save(update_fields=["settings"])
    workflow = Workflow.objects.for_workspace(workspace).filter(name=DEMO_WORKFLOW).first()
    if workflow is None:
        workflow = Workflow.objects.create(workspace=workspace, name=DEMO_WORKFLOW, enabled=True,
                                           trigger=Workflow.Trigger.CONVERSATION_OPENED)
        Step.objects.create(workspace=workspace, workflow=workflow, position=1, kind=Step.Kind.ASSIGN,
                            strategy=Step.Strategy.ROUND_ROBIN, team=team, online_only=True)
    _after_hours_example(workspace)
    transaction.on_commit(lambda: refresh_profile(workspace.pk))
    return workflow


def _after_hours_example(workspace: Workspace) -> None:
    """A second workflow, disabled, to show conditions and more steps in the admin (and to try in a dry run)."""
    if Workflow.objects.for_workspace(workspace).filter(name=AFTER_HOURS).exists():
        return
    workflow = Workflow.objects.create(workspace=workspace, name=AFTER_HOURS, enabled=False, position=1,
                                       trigger=Workflow.Trigger.CONVERSATION_OPENED)
    Condition.objects.create(workspace=workspace, workflow=workflow, position=1,
                             kind=Condition.Kind.OUTSIDE_HOURS)
    tag, _created = Tag.objects.get_or_create(workspace=workspace, name="after-hours")
    steps = [
        {"kind": Step.Kind.SEND_MESSAGE, "text": "Hi {{contact.first_name}}, we are closed right now: we answer "
                                                 "from 9:00 to 18:00 (Madrid), Monday to Friday."},
        {"kind": Step.Kind.ADD_TAG, "tag": tag},
        {"kind": Step.Kind.WAIT, "duration": 15, "unit": Step.Unit.MINUTES},
        {"kind": Step.Kind.ASSIGN, "strategy": Step.Strategy.PREVIOUS, "fallback": Step.Fallback.FEWEST_OPEN,
         "online_only": True, "capacity": 5, "timeout_minutes": 10},
    ]
    for position, fields in enumerate(steps, start=1):
        Step.objects.create(workspace=workspace, workflow=workflow, position=position, **fields)
