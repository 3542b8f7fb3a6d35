"""Admins invite people by email; nobody joins until they accept from the invited email's own account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests import factories as f
from workspaces.models import Invitation, Membership, User

ADD = "/admin/workspaces/invitation/add/"
LIST = "/admin/workspaces/invitation/"
LINK = re.compile(r"https?://[^\s<\"]+/invite/([A-Za-z0-9_\-]+)/")


def _invite(client, workspace, email, role="agent", name="New Person"):
    return client.post(ADD, {"workspace": workspace.pk, "email": email, "display_name": name, "role": role},
                       follow=True)


def _emailed_token(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return LINK.search(message.body).group(1)


def _path(token: str) -> str:
    return f"/invite/{token}/"


def test_inviting_a_new_person_emails_a_link_and_shows_it_to_the_admin(demo, client_for):
    page = _invite(client_for(demo.admin), demo.workspace, "New.Person@Example.com").content.decode()

    invitation = Invitation.objects.get(email="new.person@example.com")
    assert invitation.workspace == demo.workspace and invitation.invited_by == demo.admin.user
    assert not User.objects.filter(email="new.person@example.com").exists()  # no account until they accept
    message = mail.outbox[-1]
    assert message.to == ["new.person@example.com"] and "Demo" in message.subject
    assert message.alternatives and message.alternatives[0][1] == "text/html"  # a plain part plus HTML
    token = _emailed_token("new.person@example.com")
    assert token in page  # a brand-new invitee: the admin may copy the link
    assert token not in invitation.token_hash and len(token) >= 40  # stored hashed, ≥ 256 bits


def test_a_new_person_accepts_chooses_a_password_and_lands_in_the_workspace(demo, client_for, client):
    _invite(client_for(demo.admin), demo.workspace, "new@example.com", role="supervisor")
    client.logout()
    token = _emailed_token("new@example.com")

    form = client.get(_path(token))
    assert form.status_code == 200 and "Choose a password" in form.content.decode()
    done = client.post(_path(token), {"display_name": "Nueva Persona", "new_password1": "a-long-new-pass-42",
                                      "new_password2": "a-long-new-pass-42"}, follow=True)

    assert done.redirect_chain[-1][0].endswith(f"/w/{demo.slug}/messages/")
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a-long-new-pass-42") and user.display_name == "Nueva Persona"
    assert Membership.objects.get(user=user, workspace=demo.workspace).role == "supervisor"
    assert Invitation.objects.get(email="new@example.com").accepted_by == user


def test_a_weak_or_mismatched_password_keeps_the_form_with_errors(demo, client_for, client):
    _invite(client_for(demo.admin), demo.workspace, "new@example.com")
    client.logout()
    token = _emailed_token("new@example.com")

    weak = client.post(_path(token), {"display_name": "N", "new_password1": "123", "new_password2": "123"})
    mismatch = client.post(_path(token), {"display_name": "N", "new_password1": "a-long-new-pass-42",
                                          "new_password2": "another-long-pass-42"})

    assert weak.status_code == 400 and mismatch.status_code == 400
    assert "do not match" in mismatch.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_an_existing_user_is_not_a_member_until_they_accept_signed_in(demo, other, client_for, client):
    person = other.agent.user
    _invite(client_for(demo.admin), demo.workspace, person.email, role="agent")
    assert not Membership.objects.filter(workspace=demo.workspace, user=person).exists()
    token = _emailed_token(person.email)
    client.logout()

    anonymous = client.get(_path(token)).content.decode()
    assert "sign in" in anonymous.lower() and "new_password1" not in anonymous  # no password form for them

    client.force_login(person)
    assert client.get(_path(token)).status_code == 200
    joined = client.post(_path(token), follow=True)

    assert joined.redirect_chain[-1][0].endswith(f"/w/{demo.slug}/messages/")
    assert Membership.objects.get(workspace=demo.workspace, user=person).role == "agent"
    assert User.objects.filter(email=person.email).count() == 1


def test_pending_invitees_are_not_offered_in_assign(demo, other, client_for):
    _invite(client_for(demo.admin), demo.workspace, other.agent.user.email)
    conversation = f.make_conversation(demo.workspace)

    page = client_for(demo.agent).get(f"/w/{demo.slug}/messages/{conversation.pk}/").content.decode()

    assert other.agent.user.name not in page


def test_signed_in_as_another_account_the_invitation_is_not_accepted(demo, other, client_for, client):
    _invite(client_for(demo.admin), demo.workspace, "someone@example.com")
    token = _emailed_token("someone@example.com")
    client.force_login(other.agent.user)

    page = client.post(_path(token))

    assert page.status_code == 400 and "someone@example.com" in page.content.decode()
    assert not Membership.objects.filter(workspace=demo.workspace, user=other.agent.user).exists()
    assert Invitation.objects.get(email="someone@example.com").accepted_at is None


def test_a_used_link_is_refused_with_a_clear_page(demo, client_for, client):
    _invite(client_for(demo.admin), demo.workspace, "new@example.com")
    client.logout()
    token = _emailed_token("new@example.com")
    data = {"display_name": "N", "new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"}
    client.post(_path(token), data)
    client.logout()

    again = client.post(_path(token), {**data, "new_password1": "attacker-pass-9999", "new_password2":
                                       "attacker-pass-9999"})

    assert again.status_code == 410 and "already used" in again.content.decode()
    assert User.objects.get(email="new@example.com").check_password("a-long-new-pass-42")


def test_expired_revoked_and_forged_links_get_clear_pages(demo, client_for, client):
    admin = client_for(demo.admin)
    _invite(admin, demo.workspace, "late@example.com")
    _invite(admin, demo.workspace, "revoked@example.com")
    late, revoked = _emailed_token("late@example.com"), _emailed_token("revoked@example.com")
    Invitation.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(minutes=1))
    admin.post(LIST, {"action": "revoke", "_selected_action": [Invitation.objects.get(email="revoked@example.com").pk]})
    client.logout()

    expired_page, revoked_page = client.get(_path(late)), client.get(_path(revoked))
    forged = client.get(_path("x" * 43))

    assert expired_page.status_code == 410 and "expired" in expired_page.content.decode()
    assert revoked_page.status_code == 410 and "withdrawn" in revoked_page.content.decode()
    assert forged.status_code == 404 and "not valid" in forged.content.decode()
    assert client.post(_path(late), {"display_name": "x", "new_password1": "a-long-new-pass-42",
                                     "new_password2": "a-long-new-pass-42"}).status_code == 410
    assert not User.objects.filter(email__in=["late@example.com", "revoked@example.com"]).exists()


def test_resend_makes_a_new_link_and_the_old_one_stops_working(demo, client_for, client):
    admin = client_for(demo.admin)
    _invite(admin, demo.workspace, "new@example.com")
    first = _emailed_token("new@example.com")

    admin.post(LIST, {"action": "resend", "_selected_action": [Invitation.objects.get().pk]})
    second = _emailed_token("new@example.com")
    client.logout()

    assert first != second
    assert client.get(_path(first)).status_code == 404
    assert client.get(_path(second)).status_code == 200


def test_inviting_a_member_or_a_pending_invitee_again_is_a_form_error(demo, client_for):
    admin = client_for(demo.admin)
    member = _invite(admin, demo.workspace, demo.agent.user.email)
    _invite(admin, demo.workspace, "new@example.com")
    twice = _invite(admin, demo.workspace, "NEW@example.com")

    assert "already a member" in member.content.decode()
    assert "pending invitation" in twice.content.decode()
    assert Invitation.objects.filter(email="new@example.com").count() == 1


def test_admin_cannot_invite_to_another_workspace_nor_see_its_invitations(demo, other, client_for):
    _invite(client_for(other.admin), other.workspace, "theirs@example.com")
    admin = client_for(demo.admin)

    response = _invite(admin, other.workspace, "intruder@example.com")

    assert not Invitation.objects.filter(email="intruder@example.com").exists()
    assert response.status_code == 200
    theirs = Invitation.objects.get(email="theirs@example.com")
    assert admin.get(f"{LIST}{theirs.pk}/change/").status_code in {302, 404}
    assert "theirs@example.com" not in admin.get(LIST).content.decode()


def test_members_are_no_longer_added_directly(demo, client_for):
    assert client_for(demo.admin).get("/admin/workspaces/membership/add/").status_code == 403


@pytest.mark.parametrize("language,expected", [("es", "Le han invitado"), ("en", "You are invited")])
def test_the_email_speaks_the_invitees_language_when_known(demo, other, client_for, language, expected):
    person = other.agent.user
    person.language = language
    person.save()

    _invite(client_for(demo.admin), demo.workspace, person.email)

    assert expected in mail.outbox[-1].subject
