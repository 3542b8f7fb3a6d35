"""Workspace admins add people by email; new people choose a password through a one-time link."""

import re

from workspaces.models import Membership, User

ADD = "/admin/workspaces/membership/add/"


def _post(client, workspace, email, role="agent", name="New Person"):
    return client.post(ADD, {"workspace": workspace.pk, "email": email, "display_name": name, "role": role})


def test_admin_adds_a_new_person_who_sets_a_password_and_signs_in(demo, client_for, client):
    admin = client_for(demo.admin)
    response = _post(admin, demo.workspace, "New.Person@Example.com")
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password() and user.display_name == "New Person"
    assert Membership.objects.get(user=user).workspace == demo.workspace
    page = admin.get(response["Location"]).content.decode()
    link = re.search(r"http://[^\s<\"]+/account/password/[^\s<\"]+/", page).group(0)
    admin.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert "Choose a password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-long-new-pass-42",
                                                         "new_password2": "a-long-new-pass-42"}, follow=True)
    assert done.redirect_chain[-1][0].endswith(f"/w/{demo.slug}/messages/")
    user.refresh_from_db()
    assert user.check_password("a-long-new-pass-42")


def test_an_existing_user_joins_without_a_new_account(demo, other, client_for):
    admin = client_for(demo.admin)
    email = other.agent.user.email
    assert _post(admin, demo.workspace, email, role="supervisor").status_code == 302
    assert User.objects.filter(email=email).count() == 1
    assert Membership.objects.get(workspace=demo.workspace, user=other.agent.user).role == "supervisor"


def test_adding_someone_twice_is_a_form_error(demo, client_for):
    admin = client_for(demo.admin)
    response = _post(admin, demo.workspace, demo.agent.user.email)
    assert response.status_code == 200 and "already a member" in response.content.decode()


def test_admin_cannot_add_people_to_another_workspace(demo, other, client_for):
    admin = client_for(demo.admin)
    response = _post(admin, other.workspace, "intruder@example.com")
    assert response.status_code == 200
    assert not User.objects.filter(email="intruder@example.com").exists()


def test_a_used_or_forged_link_is_refused(client, db):
    response = client.get("/account/password/MQ/forged-token/", follow=True)
    assert "expired or was already used" in response.content.decode()
