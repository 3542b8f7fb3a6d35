"""The Django admin is scoped to the admin's workspaces (issue 2, item 5).

A workspace admin is a user with an admin Membership: not a superuser, not staff. They see, add and
edit only their own workspace's rows; foreign-key choices are limited; a foreign workspace or a
related row of another workspace is rejected (CVE-2026-72719 in a peer product was exactly this).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import Contact, ContactIdentity
from inbox.models import Attachment, Channel, ClosingCategory, ClosingNote, Conversation, Message
from tests import factories as f
from tests.admin_helpers import admin_form_errors as _form_errors
from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline
from workspaces.models import Invitation, Membership, TenantModel, Workspace

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "channel": "admin:inbox_channel_changelist",
    "category": "admin:inbox_closingcategory_changelist",
    "contact": "admin:contacts_contact_changelist",
    "membership": "admin:workspaces_membership_changelist",
    "conversation": "admin:inbox_conversation_changelist",
    "message": "admin:inbox_message_changelist",
    "closingnote": "admin:inbox_closingnote_changelist",
}


def _rows(team, label: str) -> SimpleNamespace:
    ws = team.workspace
    channel = f.make_channel(ws, name=f"{label} Channel")
    contact = f.make_contact(ws, channel, name=f"{label} Contact", phone=f"+34 600 {len(label)}00 000")
    conversation = f.make_conversation(ws, channel=channel, contact=contact, assignee=team.agent,
                                       text=f"{label} says hello")
    category = f.make_category(ws, f"{label} Category")
    closed = f.make_conversation(
        ws, channel=channel, contact=f.make_contact(ws, channel, name=f"{label} Closed Contact"),
        status="closed", text=f"{label} closed",
    )
    note = ClosingNote.objects.create(workspace=ws, conversation=closed, category=category,
                                      summary=f"{label} note summary", author=team.agent)
    return SimpleNamespace(team=team, workspace=ws, membership=team.agent, channel=channel, contact=contact,
                           conversation=conversation, category=category, note=note,
                           message=conversation.messages.first(), label=label)


@pytest.fixture
def rows(demo, other):
    return SimpleNamespace(demo=_rows(demo, "Demo"), other=_rows(other, "Other"))


@pytest.fixture
def admin_of_both(demo, other):
    Membership.objects.create(workspace=other.workspace, user=demo.admin.user, role=Membership.Role.ADMIN)
    return demo.admin


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def _mgmt(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


# -- who reaches the admin ---------------------------------------------------------------------------


def test_workspace_admin_without_staff_flag_opens_the_admin_index(demo, client_for):
    user = demo.admin.user
    assert not user.is_staff and not user.is_superuser
    response = client_for(demo.admin).get(reverse("admin:index"))
    assert response.status_code == 200
    for model in (Channel, ClosingCategory, Contact, Conversation, Message, ClosingNote, Membership):
        assert reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") in (
            response.content.decode()
        ), f"{model.__name__} is missing from the admin index"


@pytest.mark.parametrize("role", ["agent", "agent2", "supervisor"])
def test_agents_and_supervisors_cannot_reach_the_admin(demo, rows, client_for, role):
    client = client_for(getattr(demo, role))
    for url in [reverse("admin:index"), *(reverse(name) for name in CHANGELISTS.values()),
                _change_url(rows.demo.channel), _add_url(Channel)]:
        response = client.get(url)
        assert response.status_code == 403, url  # the 403 page, never a detour through the login page
    response = client.post(_add_url(ClosingCategory), {"workspace": demo.workspace.pk, "name": "Nope"})
    assert response.status_code == 403
    assert not ClosingCategory.objects.filter(name="Nope").exists()


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# -- what they see ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_changelists_show_only_the_admins_workspace(demo, other, rows, client_for, name):
    response = client_for(demo.admin).get(reverse(CHANGELISTS[name]))
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown, f"the {name} changelist shows no demo rows at all"
    assert {row.workspace_id for row in shown} == {demo.workspace.pk}
    html = response.content.decode()
    for text in ["Other Channel", "Other Contact", "Other Category", "Other Admin", "Other Agent",
                 "Other note summary"]:
        assert text not in html, f"{text!r} (workspace other) leaks into the {name} changelist"


def test_changelist_filters_offer_only_own_related_rows(demo, rows, client_for):
    response = client_for(demo.admin).get(reverse(CHANGELISTS["conversation"]))
    html = response.content.decode()
    assert "Demo Channel" in html  # the channel filter is there …
    assert "Other Channel" not in html and "Other Agent" not in html  # … with demo's rows only
    response = client_for(demo.admin).get(reverse(CHANGELISTS["closingnote"]))
    assert "Demo Category" in response.content.decode()
    assert "Other Category" not in response.content.decode()


def test_changelist_search_stays_in_the_workspace(demo, rows, client_for):
    client = client_for(demo.admin)
    response = client.get(reverse(CHANGELISTS["contact"]), {"q": "Contact"})
    assert {c.workspace_id for c in response.context["cl"].result_list} == {demo.workspace.pk}
    response = client.get(reverse(CHANGELISTS["contact"]), {"q": "Other"})
    assert list(response.context["cl"].result_list) == []


def test_changelist_workspace_lookup_in_the_query_string_cannot_widen_it(demo, other, rows, client_for):
    response = client_for(demo.admin).get(reverse(CHANGELISTS["channel"]), {"workspace__id__exact": other.workspace.pk})
    shown = list(response.context["cl"].result_list) if response.status_code == 200 else []
    assert all(row.workspace_id == demo.workspace.pk for row in shown)
    assert "Other Channel" not in response.content.decode()


@pytest.mark.parametrize(
    "attr", ["workspace", "membership", "channel", "contact", "conversation", "category", "note", "message"]
)
def test_another_workspaces_row_is_not_found(demo, rows, client_for, attr):
    client = client_for(demo.admin)
    obj = getattr(rows.other, attr)
    info = (obj._meta.app_label, obj._meta.model_name)
    for view in ("change", "delete", "history"):
        response = client.get(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]))
        assert response.status_code in (302, 403, 404), f"{view} page of another workspace's {attr}"
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index")
        assert "Other" not in response.content.decode()


def test_posting_to_another_workspaces_row_changes_nothing(demo, rows, client_for):
    client = client_for(demo.admin)
    channel = rows.other.channel
    response = client.post(_change_url(channel), {"kind": "api", "name": "Hijacked", "is_active": "on",
                                                  "webhook_url": "", "config": "{}"})
    assert response.status_code in (302, 403, 404)
    channel.refresh_from_db()
    assert channel.name == "Other Channel"
    response = client.post(reverse("admin:inbox_channel_delete", args=[channel.pk]), {"post": "yes"})
    assert Channel.objects.filter(pk=channel.pk).exists()
    category = rows.other.category
    client.post(reverse(CHANGELISTS["category"]), {
        **_mgmt("form", 1, 1), "form-0-id": str(category.pk), "form-0-position": "9", "form-0-is_active": "",
        "action": "delete_selected", "_selected_action": [str(category.pk)], "post": "yes",
    })
    category.refresh_from_db()
    assert category.is_active and category.position == 0


def test_superuser_sees_every_workspace(demo, other, rows, client):
    superuser = f.make_user(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    for name in ("channel", "contact", "category", "membership", "conversation"):
        response = client.get(reverse(CHANGELISTS[name]))
        assert response.status_code == 200
        assert {row.workspace_id for row in response.context["cl"].result_list} == {
            demo.workspace.pk, other.workspace.pk
        }, name
    assert client.get(_change_url(rows.other.channel)).status_code == 200


# -- foreign-key choices ------------------------------------------------------------------------------------


def _choices(field) -> set:
    return set(field.queryset.values_list("pk", flat=True))


def test_add_forms_offer_only_own_workspace_choices(demo, other, rows, client_for):
    client = client_for(demo.admin)
    demo_ids = set(Membership.objects.for_workspace(demo.workspace).values_list("pk", flat=True))

    form = client.get(_add_url(Channel) + "?kind=api").context["adminform"].form  # after choosing a kind
    assert _choices(form.fields["workspace"]) == {demo.workspace.pk}
    assert form.initial.get("workspace") == demo.workspace.pk  # the only choice is preselected

    form = client.get(_add_url(ClosingCategory)).context["adminform"].form
    assert _choices(form.fields["workspace"]) == {demo.workspace.pk}

    response = client.get(_add_url(Invitation))
    form = response.context["adminform"].form
    assert _choices(form.fields["workspace"]) == {demo.workspace.pk}
    assert "user" not in form.fields  # people are invited by email (tests/workspaces/test_invites.py)
    assert "Other Admin" not in response.content.decode()

    response = client.get(_add_url(Contact))
    form = response.context["adminform"].form
    assert _choices(form.fields["workspace"]) == {demo.workspace.pk}
    identities = response.context["inline_admin_formsets"][0].formset
    assert _choices(identities.empty_form.fields["channel"]) == {rows.demo.channel.pk}
    assert "workspace" not in identities.empty_form.fields  # inline rows take the contact's workspace
    assert "Other Channel" not in response.content.decode()

    response = client.get(_change_url(rows.demo.conversation))
    form = response.context["adminform"].form
    assert _choices(form.fields["assignee"]) == demo_ids
    assert "Other Agent" not in response.content.decode()


def test_change_forms_offer_only_the_rows_own_workspace_even_to_an_admin_of_both(
    demo, other, rows, admin_of_both, client_for
):
    client = client_for(admin_of_both)
    demo_ids = set(Membership.objects.for_workspace(demo.workspace).values_list("pk", flat=True))
    form = client.get(_change_url(rows.demo.conversation)).context["adminform"].form
    assert _choices(form.fields["assignee"]) == demo_ids
    response = client.get(_change_url(rows.demo.contact))
    identities = response.context["inline_admin_formsets"][0].formset
    assert _choices(identities.empty_form.fields["channel"]) == {rows.demo.channel.pk}
    # On the add form the workspace is not chosen yet: both workspaces' rows are offered, and the
    # form checks that they match (see the tests below).
    form = client.get(_add_url(Channel) + "?kind=api").context["adminform"].form  # after choosing a kind
    assert _choices(form.fields["workspace"]) == {demo.workspace.pk, other.workspace.pk}


# -- posted rows of another workspace -------------------------------------------------------------------


def _channel_post(workspace_id: int, name: str) -> dict:
    return {"workspace": str(workspace_id), "kind": "api", "name": name, "is_active": "on",
            "webhook_url": "", "config": "{}", "new_token": "", "new_secret": ""}


def test_posting_a_channel_for_another_workspace_is_rejected(demo, other, client_for):
    """CVE-2026-72719: a workspace admin created rows in another tenant by posting its id."""
    client = client_for(demo.admin)
    response = client.post(_add_url(Channel), _channel_post(other.workspace.pk, "Sneaky"))
    assert "workspace" in _form_errors(response)
    assert not Channel.objects.filter(name="Sneaky").exists()
    # The same form with the admin's own workspace is accepted: the rejection above was the workspace.
    response = client.post(_add_url(Channel), _channel_post(demo.workspace.pk, "Legit"))
    assert response.status_code == 302, _form_errors(response)
    assert Channel.objects.get(name="Legit").workspace_id == demo.workspace.pk


def test_posting_a_closing_category_for_another_workspace_is_rejected(demo, other, client_for):
    client = client_for(demo.admin)
    data = {"name": "Sneaky", "position": "1", "is_active": "on"}
    response = client.post(_add_url(ClosingCategory), {**data, "workspace": str(other.workspace.pk)})
    assert "workspace" in _form_errors(response)
    assert not ClosingCategory.objects.filter(name="Sneaky").exists()
    response = client.post(_add_url(ClosingCategory), {**data, "workspace": str(demo.workspace.pk)})
    assert response.status_code == 302
    assert ClosingCategory.objects.get(name="Sneaky").workspace_id == demo.workspace.pk


def test_posting_an_invitation_for_another_workspace_is_rejected(demo, other, client_for):
    client = client_for(demo.admin)
    response = client.post(_add_url(Invitation), {"workspace": str(other.workspace.pk),
                                                  "email": "someone@example.com", "role": "admin"})
    assert "workspace" in _form_errors(response)
    assert not Invitation.objects.exists()


def test_workspace_of_an_existing_row_cannot_be_changed(demo, other, rows, admin_of_both, client_for):
    client = client_for(admin_of_both)
    category = rows.demo.category
    response = client.post(_change_url(category), {"workspace": str(other.workspace.pk), "name": "Renamed",
                                                   "position": "3", "is_active": "on"})
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.workspace_id) == ("Renamed", demo.workspace.pk)


def test_duplicate_category_name_is_a_form_error_not_a_crash(demo, rows, client_for):
    f.make_category(demo.workspace, "Resolved")
    response = client_for(demo.admin).post(_change_url(rows.demo.category),
                                           {"name": "Resolved", "position": "0", "is_active": "on"})
    assert _form_errors(response)
    rows.demo.category.refresh_from_db()
    assert rows.demo.category.name == "Demo Category"


def _contact_post(workspace_id: int, channel_id: int, name: str) -> dict:
    return {"workspace": str(workspace_id), "name": name, "phone": "", "email": "",
            **_mgmt("identities", 1, 0), "identities-0-channel": str(channel_id),
            "identities-0-external_id": f"ext-{name}"}


def test_contact_with_an_identity_on_another_workspaces_channel_is_rejected(
    demo, other, rows, admin_of_both, client_for
):
    client = client_for(admin_of_both)
    for workspace, channel in ((demo.workspace, rows.other.channel), (other.workspace, rows.demo.channel)):
        response = client.post(_add_url(Contact), _contact_post(workspace.pk, channel.pk, "Mixed"))
        assert any(key.endswith("channel") for key in _form_errors(response))
        assert not Contact.objects.filter(name="Mixed").exists()
        assert not ContactIdentity.objects.filter(external_id="ext-Mixed").exists()
    # Consistent rows are accepted, and the identity takes the contact's workspace.
    response = client.post(_add_url(Contact), _contact_post(other.workspace.pk, rows.other.channel.pk, "Fine"))
    assert response.status_code == 302, _form_errors(response)
    contact = Contact.objects.get(name="Fine")
    assert contact.workspace_id == other.workspace.pk
    assert list(contact.identities.values_list("workspace_id", "channel_id")) == [
        (other.workspace.pk, rows.other.channel.pk)
    ]


def test_new_identity_on_an_existing_contact_must_use_its_workspaces_channel(
    demo, rows, admin_of_both, client_for
):
    client = client_for(admin_of_both)
    contact = rows.demo.contact
    existing = contact.identities.get()
    data = {"name": contact.name, "phone": contact.phone, "email": "", **_mgmt("identities", 2, 1),
            "identities-0-id": str(existing.pk), "identities-0-contact": str(contact.pk),
            "identities-0-channel": str(existing.channel_id), "identities-0-external_id": existing.external_id,
            "identities-1-contact": str(contact.pk), "identities-1-channel": str(rows.other.channel.pk),
            "identities-1-external_id": "smuggled"}
    response = client.post(_change_url(contact), data)
    assert "identities-1-channel" in _form_errors(response)
    assert not ContactIdentity.objects.filter(external_id="smuggled").exists()
    # Moving the existing identity to the other workspace's channel is rejected too.
    data.update({**_mgmt("identities", 1, 1), "identities-0-channel": str(rows.other.channel.pk)})
    response = client.post(_change_url(contact), data)
    assert "identities-0-channel" in _form_errors(response)
    existing.refresh_from_db()
    assert existing.channel_id == rows.demo.channel.pk


def _conversation_post(assignee_id) -> dict:
    return {"assignee": str(assignee_id or ""), **_mgmt("closing_note")}


def test_conversation_assignee_from_another_workspace_is_rejected(demo, other, rows, admin_of_both, client_for):
    client = client_for(admin_of_both)
    conversation = rows.demo.conversation
    response = client.post(_change_url(conversation), _conversation_post(other.agent.pk))
    assert "assignee" in _form_errors(response)
    conversation.refresh_from_db()
    assert conversation.assignee_id == demo.agent.pk
    response = client.post(_change_url(conversation), _conversation_post(demo.agent2.pk))
    assert response.status_code == 302, _form_errors(response)
    conversation.refresh_from_db()
    assert conversation.assignee_id == demo.agent2.pk


def test_conversations_messages_and_notes_are_read_only_apart_from_the_assignee(demo, rows, client_for):
    client = client_for(demo.admin)
    form = client.get(_change_url(rows.demo.conversation)).context["adminform"].form
    assert set(form.fields) == {"assignee"}
    closed = rows.demo.note.conversation
    assert client.get(_change_url(closed)).context["adminform"].form.fields == {}
    assert client.get(_add_url(Conversation)).status_code == 403
    for obj in (rows.demo.message, rows.demo.note):
        response = client.get(_change_url(obj))
        assert response.status_code == 200
        assert response.context["adminform"].form.fields == {}
        assert client.get(_add_url(type(obj))).status_code == 403
    message = rows.demo.message
    client.post(_change_url(message), {"body": "rewritten"})
    message.refresh_from_db()
    assert message.body == "Demo says hello"


# Channel forms and their write-only credentials: tests/inbox/test_channel_admin.py.


def test_workspace_admin_signing_in_at_the_admin_goes_to_the_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# -- efficiency and coverage --------------------------------------------------------------------------------


def _changelist_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_changelists_run_a_constant_number_of_queries(demo, rows, client_for, name):
    client = client_for(demo.admin)
    url = reverse(CHANGELISTS[name])
    before = _changelist_queries(client, url)
    for i in range(4):
        channel = f.make_channel(demo.workspace, name=f"Extra {i}")
        contact = f.make_contact(demo.workspace, channel, name=f"Extra Contact {i}")
        conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact,
                                           assignee=demo.agent2, status="closed")
        ClosingNote.objects.create(workspace=demo.workspace, conversation=conversation,
                                   category=f.make_category(demo.workspace, f"Extra {i}"), summary="s",
                                   author=demo.agent2)
        f.make_member(demo.workspace, "agent")
    assert _changelist_queries(client, url) == before


def test_every_registered_tenant_admin_is_workspace_scoped():
    registered = admin.site._registry
    for model, model_admin in registered.items():
        if issubclass(model, TenantModel) or model is Workspace:
            assert isinstance(model_admin, WorkspaceScopedAdmin), f"{model.__name__} admin is not scoped"
        for inline in model_admin.inlines:
            if issubclass(inline.model, TenantModel):
                assert issubclass(inline, WorkspaceScopedInline), f"{inline.__name__} is not scoped"
    for model in (Channel, ClosingCategory, Contact, Conversation, Message, ClosingNote, Membership):
        assert model in registered, f"{model.__name__} has no admin"
    inline_models = {inline.model for model_admin in registered.values() for inline in model_admin.inlines}
    assert {ContactIdentity, Attachment} <= inline_models


def test_a_workspace_made_in_the_admin_starts_with_closing_categories(db, client):
    root = f.make_user(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.post(_add_url(Workspace), {"name": "Fresh Shop", "slug": "fresh-shop", "settings": "{}"})

    assert response.status_code == 302, _form_errors(response) if response.status_code == 200 else response
    workspace = Workspace.objects.get(slug="fresh-shop")
    names = list(ClosingCategory.objects.for_workspace(workspace).order_by("position").values_list("name", flat=True))
    assert names[:2] == ["Resolved", "Sale"] and len(names) == 5
