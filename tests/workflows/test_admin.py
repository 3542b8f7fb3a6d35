"""The workflow admin, scoped to the admin's workspace: rows read as sentences; another workspace's member,
team, tag or category cannot be chosen; clear validation messages; the dry run shows what would happen and
changes nothing; runs are read only. Also teams, tags on contacts, and business hours in the admin."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import ContactTag, Tag
from inbox.models import Conversation, ConversationEvent, Message
from kernel.models import Job
from tests import factories as f
from tests.admin_helpers import admin_form_errors
from tests.inbox.helpers import inbound
from workflows.models import Condition, RoutingState, Step, WaitingConversation, Workflow, WorkflowRun
from workspaces import business_hours
from workspaces.models import Team

from .helpers import assign_step, make_workflow, online, run_jobs

pytestmark = pytest.mark.django_db

ADD = "admin:workflows_workflow_add"
T, K = Workflow.Trigger, Step.Kind


def form_data(workspace, *, trigger=T.CONVERSATION_OPENED, conditions=(), steps=(), **fields) -> dict:
    data = {"workspace": workspace.pk, "name": fields.pop("name", "Round robin"), "enabled": "on", "position": "0",
            "trigger": trigger, "trigger_words": "", "trigger_tag": "", **fields}
    for prefix, rows in (("conditions", conditions), ("steps", steps)):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": ("on" if v is True else v) for k, v in row.items() if v is not False})
    return data


def test_an_admin_writes_a_workflow_that_reads_as_a_sentence(world, client_for):
    team = Team.objects.create(workspace=world.ws, name="Support")
    client = client_for(world.demo.admin)
    response = client.post(reverse(ADD), form_data(
        world.ws,
        conditions=[{"kind": "channel_is", "channel_kind": "whatsapp"}, {"kind": "outside_business_hours"}],
        steps=[{"kind": "assign", "strategy": "round_robin", "team": team.pk, "online_only": True}]))
    assert response.status_code == 302, admin_form_errors(response)
    workflow = Workflow.objects.get(workspace=world.ws)
    assert [s.position for s in workflow.steps.all()] == [1]
    page = client.get(reverse("admin:workflows_workflow_change", args=[workflow.pk])).content.decode()
    assert ("When a conversation is opened, if the channel is WhatsApp and it is outside business hours, "
            "assign by round robin, among Support, online only.") in page
    assert 'class="wf-sentence"' in page and 'data-kinds="assign"' in page
    assert "js/workflow_admin.js" in page


def test_another_workspaces_member_team_tag_or_category_cannot_be_chosen(world, client_for):
    other = world.other
    other_team = Team.objects.create(workspace=other.workspace, name="Their team")
    other_tag = Tag.objects.create(workspace=other.workspace, name="theirs")
    other_category = f.make_category(other.workspace, "Theirs")
    client = client_for(world.demo.admin)
    response = client.post(reverse(ADD), form_data(world.ws, steps=[
        {"kind": "assign", "strategy": "specific", "member": other.agent.pk},
        {"kind": "assign", "strategy": "round_robin", "team": other_team.pk},
        {"kind": "add_tag", "tag": other_tag.pk},
        {"kind": "close", "category": other_category.pk, "text": "x"},
    ]))
    errors = admin_form_errors(response)
    assert {"steps-0-member", "steps-1-team", "steps-2-tag", "steps-3-category"} <= set(errors)
    assert not Workflow.objects.exists()
    # The add form never even offers them.
    page = client.get(reverse(ADD)).content.decode()
    assert other.agent.display_name not in page and "Their team" not in page and "theirs" not in page


def test_an_admin_of_both_workspaces_still_cannot_mix_them(world, client_for):
    from workspaces.models import Membership

    Membership.objects.create(workspace=world.other.workspace, user=world.demo.admin.user, role="admin")
    response = client_for(world.demo.admin).post(reverse(ADD), form_data(world.ws, steps=[
        {"kind": "assign", "strategy": "specific", "member": world.other.agent.pk}]))
    error = str(admin_form_errors(response)["steps-0-member"])
    assert "Choose an item of the same workspace." in error or "Select a valid choice." in error
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(("trigger", "row", "field", "message"), [
    (T.CONVERSATION_OPENED, {"kind": "wait", "duration": "0", "unit": "minutes"}, "steps-0-duration",
     "A wait step needs a positive duration."),
    (T.CONVERSATION_OPENED, {"kind": "wait", "duration": "", "unit": "minutes"}, "steps-0-duration",
     "A wait step needs a positive duration."),
    (T.CONVERSATION_OPENED, {"kind": "wait", "duration": "31", "unit": "days"}, "steps-0-duration",
     "Wait at most 30 days."),
    (T.CONVERSATION_OPENED, {"kind": "assign", "strategy": "specific"}, "steps-0-member",
     "Choose the member to assign to."),
    (T.CONVERSATION_OPENED, {"kind": "assign"}, "steps-0-strategy", "Choose how to assign."),
    (T.CONVERSATION_OPENED, {"kind": "send_message", "text": "  "}, "steps-0-text",
     "Write the message, or choose a snippet."),
    (T.CONVERSATION_OPENED, {"kind": "add_tag"}, "steps-0-tag", "Choose the tag."),
    (T.CONVERSATION_OPENED, {"kind": "close", "text": "x"}, "steps-0-category", "Choose the closing category."),
    (T.CONVERSATION_OPENED, {"kind": "send_survey"}, "steps-0-survey", "Choose the survey."),
    (T.CONVERSATION_CLOSED, {"kind": "assign", "strategy": "round_robin"}, "steps-0-kind",
     "This step needs an open conversation"),
])
def test_step_validation_says_what_is_missing(world, client_for, trigger, row, field, message):
    response = client_for(world.demo.admin).post(reverse(ADD), form_data(world.ws, trigger=trigger, steps=[row]))
    assert message in str(admin_form_errors(response).get(field))
    assert not Workflow.objects.exists()


def test_condition_and_trigger_validation(world, client_for):
    client = client_for(world.demo.admin)
    response = client.post(reverse(ADD), form_data(world.ws, trigger=T.CONVERSATION_CLOSED, conditions=[
        {"kind": "channel_is"}, {"kind": "message_contains", "words": " , "}]))
    errors = admin_form_errors(response)
    assert "Choose the channel." in str(errors["conditions-0-channel_kind"])
    assert "Write at least one word." in str(errors["conditions-1-words"])
    assert "needs a trigger with a message" in str(errors["conditions-1-kind"])
    response = client.post(reverse(ADD), form_data(world.ws, trigger_words="refund"))
    assert "Words only apply" in str(admin_form_errors(response)["trigger_words"])


def test_saving_in_the_admin_tells_the_engine_at_once(world, client_for):
    from workflows.selectors import profile

    client = client_for(world.demo.admin)
    response = client.post(reverse(ADD), form_data(world.ws, trigger=T.MESSAGE_RECEIVED,
                                                   steps=[{"kind": "add_comment", "text": "hi"}]))
    assert response.status_code == 302, admin_form_errors(response)
    assert T.MESSAGE_RECEIVED in profile(world.ws.pk).triggers


def test_dry_run_shows_what_would_happen_and_changes_nothing(world, client_for):
    vip = Tag.objects.create(workspace=world.ws, name="vip")
    team = Team.objects.create(workspace=world.ws, name="Support")
    team.members.add(world.demo.agent, world.demo.agent2)
    online(world.demo.agent2)
    runs_on = make_workflow(world.ws, name="Welcome", steps=[
        assign_step(team=team, online_only=True), {"kind": K.ADD_TAG, "tag": vip},
        {"kind": K.SEND_MESSAGE, "text": "Hi {{contact.first_name}}"}, {"kind": K.WAIT, "duration": 5},
        {"kind": K.ADD_COMMENT, "text": "later"}])
    skipped = make_workflow(world.ws, name="WhatsApp only", conditions=[{"kind": Condition.Kind.CHANNEL_IS,
                                                                         "channel_kind": "whatsapp"}],
                            steps=[{"kind": K.ADD_COMMENT, "text": "wa"}])
    foreign = make_workflow(world.other.workspace, name="Theirs", steps=[{"kind": K.ADD_COMMENT, "text": "x"}])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    before = {m: m.objects.count() for m in (WorkflowRun, Job, Message, ConversationEvent, ContactTag,
                                              WaitingConversation, RoutingState)}
    client = client_for(world.demo.admin)
    url = reverse("admin:workflows_workflow_dry_run")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"ids": f"{runs_on.pk},{skipped.pk},{foreign.pk}",
                                    "conversation": conversation.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Welcome — would run" in page and "WhatsApp only — would not run" in page and "Theirs" not in page
    assert f"Would assign to {world.demo.agent2.display_name}." in page
    assert f"{world.demo.agent.display_name} is offline" not in page  # agent2 qualifies: no reasons needed
    assert "Would add the tag “vip”." in page and "Would send “Hi Ana”." in page
    assert "Would wait 5 minutes, then go on." in page and "Would run after that, as things are then." in page
    assert "✗ fails: the channel is WhatsApp" in page
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
              and "django_session" not in q["sql"]]
    assert writes == []
    assert {m: m.objects.count() for m in before} == before
    assert conversation.contact.tags.count() == 0
    # Another workspace's conversation is a 404 in the dry run.
    theirs = f.make_conversation(world.other.workspace, channel=world.other_channel)
    assert client.get(url, {"ids": runs_on.pk, "conversation": theirs.pk}).status_code == 404


def test_dry_run_explains_why_nobody_would_be_assigned(world, client_for):
    make_workflow(world.ws, name="Online", steps=[assign_step(online_only=True)])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    page = client_for(world.demo.admin).get(reverse("admin:workflows_workflow_dry_run"),
                                           {"conversation": conversation.pk}).content.decode()
    assert "Nobody qualifies now (" in page and f"{world.demo.agent.display_name} is offline" in page
    assert not WaitingConversation.objects.exists()


def test_runs_are_read_only_and_scoped(world, client_for):
    mine = make_workflow(world.ws, steps=[{"kind": K.ADD_COMMENT, "text": "x"}])
    theirs = make_workflow(world.other.workspace, steps=[{"kind": K.ADD_COMMENT, "text": "x"}])
    run = WorkflowRun.objects.create(workspace=world.ws, workflow=mine, event_key="k", trigger=mine.trigger,
                                     state="done", log=[{"text": "Added the internal comment “x”.", "ok": True}])
    foreign = WorkflowRun.objects.create(workspace=world.other.workspace, workflow=theirs, event_key="k",
                                         trigger=theirs.trigger, state="done")
    client = client_for(world.demo.admin)
    listing = client.get(reverse("admin:workflows_workflowrun_changelist")).content.decode()
    assert "Added the internal comment “x”." in listing
    assert client.get(reverse("admin:workflows_workflowrun_change", args=[run.pk])).status_code == 200
    assert client.get(reverse("admin:workflows_workflowrun_change", args=[foreign.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:workflows_workflowrun_add")).status_code == 403
    assert client.post(reverse("admin:workflows_workflowrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403


def test_agents_cannot_reach_the_workflow_admin(world, client_for):
    client = client_for(world.demo.agent)
    assert client.get(reverse("admin:workflows_workflow_changelist")).status_code == 403
    assert client.get(reverse("admin:workflows_workflow_dry_run")).status_code == 403


def test_teams_take_members_of_their_own_workspace_only(world, client_for):
    client = client_for(world.demo.admin)
    response = client.post(reverse("admin:workspaces_team_add"), {
        "workspace": world.ws.pk, "name": "Support", "members": [world.demo.agent.pk, world.other.agent.pk]})
    assert "members" in admin_form_errors(response)
    response = client.post(reverse("admin:workspaces_team_add"), {
        "workspace": world.ws.pk, "name": "Support", "members": [world.demo.agent.pk]})
    assert response.status_code == 302
    assert list(Team.objects.get().members.all()) == [world.demo.agent]


def test_tags_on_a_contact_in_the_admin_go_through_the_service(world, client_for):
    vip = Tag.objects.create(workspace=world.ws, name="vip")
    theirs = Tag.objects.create(workspace=world.other.workspace, name="theirs")
    make_workflow(world.ws, T.CONTACT_TAGGED, steps=[{"kind": K.ADD_COMMENT, "text": "tagged"}])
    contact = f.make_contact(world.ws, name="Ana", phone="+34 600")
    client = client_for(world.demo.admin)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    base = {"name": "Ana", "phone": "+34 600", "email": "", "identities-TOTAL_FORMS": "0",
            "identities-INITIAL_FORMS": "0", "identities-MIN_NUM_FORMS": "0", "identities-MAX_NUM_FORMS": "1000"}
    response = client.post(url, {**base, "tag_choices": [theirs.pk]})
    assert "tag_choices" in admin_form_errors(response)
    response = client.post(url, {**base, "tag_choices": [vip.pk]})
    assert response.status_code == 302
    assert list(contact.tags.all()) == [vip]
    assert Job.objects.filter(task="workflows.tasks.handle_event", args__1="ContactTagged").count() == 1


def test_business_hours_are_edited_as_fields_and_checked(world, client, django_user_model):
    root = f.make_user(is_staff=True, is_superuser=True)
    client.force_login(root)
    url = reverse("admin:workspaces_workspace_change", args=[world.ws.pk])
    data = {"name": "Demo", "slug": "demo", "time_zone": "Europe/Madrid", "hours_0": "09:00-14:00, 16:00-19:00",
            "hours_1": "25:00-26:00", "hours_2": "", "hours_3": "", "hours_4": "09:00-15:00", "hours_5": "",
            "hours_6": "", "holidays": "2026-12-25\nnot a date"}
    errors = admin_form_errors(client.post(url, data))
    assert "25:00 is not a time of day." in str(errors["hours_1"]) and "not a date" in str(errors["holidays"])
    response = client.post(url, {**data, "hours_1": "", "holidays": "2026-12-25"})
    assert response.status_code == 302, admin_form_errors(response)
    world.ws.refresh_from_db()
    hours = business_hours.for_workspace(world.ws)
    assert hours.time_zone == "Europe/Madrid" and sorted(hours.weekly) == [0, 4]
    assert [d.isoformat() for d in hours.holidays] == ["2026-12-25"]
    page = client.get(url).content.decode()
    assert 'value="09:00-14:00, 16:00-19:00"' in page


def test_a_team_or_tag_a_workflow_names_cannot_be_deleted_under_it(world, client_for):
    from django.db.models import RestrictedError

    team = Team.objects.create(workspace=world.ws, name="Support")
    vip = Tag.objects.create(workspace=world.ws, name="vip")
    make_workflow(world.ws, T.CONTACT_TAGGED, trigger_tag=vip, steps=[assign_step(team=team)])
    with pytest.raises(RestrictedError):
        team.delete()
    page = client_for(world.demo.admin).post(reverse("admin:contacts_tag_delete", args=[vip.pk]), {"post": "yes"})
    assert page.status_code == 200 and Tag.objects.filter(pk=vip.pk).exists()  # "Cannot delete tag"
    world.ws.delete()  # the whole workspace still goes, workflows and all
    assert not Workflow.objects.exists()


def test_a_specific_member_who_left_leaves_the_step_waiting(world):
    leaving = f.make_member(world.ws, "agent")
    make_workflow(world.ws, steps=[assign_step(strategy="specific", member=leaving)])
    leaving.delete()
    result = inbound(world.ws, world.channel)
    run_jobs()
    assert Conversation.objects.get(pk=result.conversation.pk).assignee_id is None
    assert "the member of this step left the workspace" in WorkflowRun.objects.get().log[0]["text"]
