"""The takeover an outside review found: a workspace admin must never get into someone else's account.

Before: admin of A added any existing user (B's admin, a superuser) to A by email, then ran the
membership action "Create a sign-in link", opened it, set a password and was that user everywhere.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests import factories as f
from workspaces.models import Invitation, Membership

ADD = "/admin/workspaces/invitation/add/"
MEMBERS = "/admin/workspaces/membership/"
PASSWORD = "attacker-chosen-pass-77"


def _attacker_invites(client, workspace, email):
    client.post(ADD, {"workspace": workspace.pk, "email": email, "display_name": "", "role": "admin"}, follow=True)
    body = next(m for m in reversed(mail.outbox) if m.to == [email]).body
    return re.search(r"/invite/([A-Za-z0-9_\-]+)/", body).group(1)


def _try_sign_in_link(client, membership_ids):
    page = client.post(MEMBERS, {"action": "make_sign_in_link", "_selected_action": membership_ids}, follow=True)
    return page.content.decode()


def _assert_untouched(victim, client):
    victim.refresh_from_db()
    assert victim.check_password(f.PASSWORD)
    assert not victim.check_password(PASSWORD)
    client.logout()
    signed_in = client.post("/login/", {"username": victim.email, "password": PASSWORD})
    assert signed_in.status_code == 200 and "_auth_user_id" not in client.session


@pytest.fixture
def victim_superuser(db):
    return f.make_user("root@example.test", is_staff=True, is_superuser=True)


def test_another_workspaces_admin_cannot_be_taken_over(demo, other, client_for, client):
    attacker, victim = client_for(demo.admin), other.admin.user
    token = _attacker_invites(attacker, demo.workspace, victim.email)

    # The victim is not a member of A, so there is no membership row to make a sign-in link for.
    assert not Membership.objects.filter(workspace=demo.workspace, user=victim).exists()
    assert victim.email not in attacker.get(MEMBERS).content.decode()
    assert "/account/password/" not in attacker.get("/admin/workspaces/invitation/").content.decode()

    # The emailed link, if the attacker got hold of it, offers no password form for an existing account…
    client.logout()
    page = client.get(f"/invite/{token}/").content.decode()
    assert "new_password1" not in page
    # …and a forged POST with a password neither sets it nor joins anyone.
    forged = client.post(f"/invite/{token}/", {"display_name": "x", "new_password1": PASSWORD,
                                               "new_password2": PASSWORD})
    assert forged.status_code in {200, 400}
    assert "_auth_user_id" not in client.session
    _assert_untouched(victim, client)
    assert Invitation.objects.get(email=victim.email).accepted_at is None


def test_a_superuser_cannot_be_taken_over_through_an_invitation(demo, client_for, client, victim_superuser):
    attacker = client_for(demo.admin)
    token = _attacker_invites(attacker, demo.workspace, victim_superuser.email)

    client.logout()
    client.post(f"/invite/{token}/", {"display_name": "x", "new_password1": PASSWORD, "new_password2": PASSWORD})

    _assert_untouched(victim_superuser, client)
    assert not Membership.objects.filter(user=victim_superuser).exists()


def test_sign_in_links_are_refused_for_accounts_with_a_password_or_other_workspaces(demo, other, client_for):
    shared = f.make_member(demo.workspace, "agent", email="shared@example.test")
    Membership.objects.create(workspace=other.workspace, user=shared.user, role="admin")
    never_set = f.make_member(demo.workspace, "agent", email="never@example.test")
    never_set.user.set_unusable_password()
    never_set.user.save()
    never_elsewhere = f.make_member(demo.workspace, "agent", email="never2@example.test")
    never_elsewhere.user.set_unusable_password()
    never_elsewhere.user.save()
    Membership.objects.create(workspace=other.workspace, user=never_elsewhere.user, role="agent")
    staff = f.make_member(demo.workspace, "agent", email="staff@example.test")
    staff.user.set_unusable_password()
    staff.user.is_staff = True
    staff.user.save()

    page = _try_sign_in_link(client_for(demo.admin), [demo.agent.pk, shared.pk, never_set.pk, never_elsewhere.pk,
                                                      staff.pk])

    links = re.findall(r">?([\w.]+@example\.test): https?://\S+/account/password/", page)
    assert [link.lower() for link in links] == ["never@example.test"]
    assert page.count("refused") == 4


def test_an_admin_of_both_workspaces_still_cannot_reset_a_colleagues_password(demo, other, client_for):
    """Even a legitimate member of A with a password gets no link: they use "Forgot password?"."""
    page = _try_sign_in_link(client_for(demo.admin), [demo.supervisor.pk])

    assert "/account/password/" not in page
    _assert_untouched(demo.supervisor.user, client_for(demo.admin))


def test_accepting_never_changes_an_existing_accounts_password(demo, other, client_for, client):
    person = other.agent.user
    token = _attacker_invites(client_for(demo.admin), demo.workspace, person.email)
    client.force_login(person)

    client.post(f"/invite/{token}/", {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert Membership.objects.filter(workspace=demo.workspace, user=person).exists()
    person.refresh_from_db()
    assert person.check_password(f.PASSWORD)
