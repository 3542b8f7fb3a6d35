"""Admins change roles and remove members through services; the last admin always stays."""

from __future__ import annotations

from tests import factories as f
from workspaces.models import Membership

MEMBERS = "/admin/workspaces/membership/"


def _change(client, membership, role):
    return client.post(f"{MEMBERS}{membership.pk}/change/", {"role": role})


def test_admin_changes_a_members_role(demo, client_for):
    response = _change(client_for(demo.admin), demo.agent, "supervisor")

    assert response.status_code == 302
    demo.agent.refresh_from_db()
    assert demo.agent.role == "supervisor"


def test_the_last_admin_cannot_be_demoted_or_removed(demo, client_for):
    client = client_for(demo.admin)

    demote = _change(client, demo.admin, "agent")
    remove = client.post(f"{MEMBERS}{demo.admin.pk}/delete/", {"post": "yes"})
    bulk = client.post(MEMBERS, {"action": "delete_selected", "_selected_action": [demo.admin.pk], "post": "yes"})

    assert demote.status_code == 200 and "last admin" in demote.content.decode()
    assert remove.status_code == 403
    assert bulk.status_code == 403
    demo.admin.refresh_from_db()
    assert demo.admin.role == "admin"


def test_with_a_second_admin_one_can_step_down(demo, client_for):
    second = f.make_member(demo.workspace, "admin")

    assert _change(client_for(demo.admin), second, "agent").status_code == 302
    second.refresh_from_db()
    assert second.role == "agent"


def test_removing_a_member_unassigns_their_conversations(demo, client_for):
    conversation = f.make_conversation(demo.workspace, assignee=demo.agent)

    response = client_for(demo.admin).post(f"{MEMBERS}{demo.agent.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=demo.agent.pk).exists()
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_another_workspaces_member_is_out_of_reach(demo, other, client_for):
    client = client_for(demo.admin)

    assert client.get(f"{MEMBERS}{other.agent.pk}/change/").status_code in {302, 404}
    client.post(f"{MEMBERS}{other.agent.pk}/delete/", {"post": "yes"})
    client.post(MEMBERS, {"action": "delete_selected", "_selected_action": [other.agent.pk], "post": "yes"})
    _change(client, other.agent, "admin")

    other.agent.refresh_from_db()
    assert other.agent.role == "agent"
