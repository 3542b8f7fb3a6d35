"""Workspace snippets in the scoped admin: own workspace only, files uploaded, sniffed and stored safely."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from snippets.admin import SnippetAdmin, SnippetAttachmentInline
from snippets.models import Snippet, SnippetAttachment
from tests.admin_helpers import admin_form_errors as _errors
from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline

from .helpers import PDF, make_file, make_snippet

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:snippets_snippet_changelist"
ADD = "admin:snippets_snippet_add"


def _mgmt(total: int = 0, initial: int = 0) -> dict[str, str]:
    prefix = "attachments"
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


@pytest.fixture
def rows(demo, other):
    return {
        "demo": make_snippet(demo.workspace, "hello", name="Demo greeting"),
        "demo_personal": make_snippet(demo.workspace, "mine", name="Demo personal", owner=demo.agent),
        "other": make_snippet(other.workspace, "hello", name="Other greeting"),
    }


def test_admin_uses_the_scoped_bases():
    model_admin = admin.site._registry[Snippet]
    assert isinstance(model_admin, SnippetAdmin) and isinstance(model_admin, WorkspaceScopedAdmin)
    assert SnippetAttachmentInline in model_admin.inlines and issubclass(SnippetAttachmentInline, WorkspaceScopedInline)


def test_admin_of_demo_sees_only_demo_workspace_snippets(demo, rows, client_for):
    response = client_for(demo.admin).get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [rows["demo"]]
    html = response.content.decode()
    assert "Demo greeting" in html and "Other greeting" not in html and "Demo personal" not in html


def test_another_workspaces_snippet_is_not_found(demo, rows, client_for):
    client = client_for(demo.admin)
    for row in (rows["other"], rows["demo_personal"]):
        for view in ("change", "delete"):
            response = client.get(reverse(f"admin:snippets_snippet_{view}", args=[row.pk]))
            assert response.status_code in (302, 404)
            assert row.name not in response.content.decode()
    response = client.post(reverse("admin:snippets_snippet_change", args=[rows["other"].pk]),
                           {"name": "Hijacked", "shortcut": "hijack", "body": "x", **_mgmt()})
    rows["other"].refresh_from_db()
    assert rows["other"].name == "Other greeting"


def test_agents_cannot_reach_the_snippet_admin(demo, rows, client_for):
    client = client_for(demo.agent)
    assert client.get(reverse(CHANGELIST)).status_code == 403  # the 403 page, no detour through the login page
    assert client.post(reverse(ADD), {"workspace": demo.workspace.pk, "name": "N", "shortcut": "n", "body": "x",
                       **_mgmt()}).status_code == 403
    assert not Snippet.objects.filter(shortcut="n").exists()


def test_add_form_offers_only_the_admins_workspace(demo, other, client_for):
    response = client_for(demo.admin).get(reverse(ADD))
    choices = list(response.context["adminform"].form.fields["workspace"].queryset)
    assert choices == [demo.workspace]


def test_posting_workspace_other_is_rejected(demo, other, client_for):
    response = client_for(demo.admin).post(reverse(ADD), {
        "workspace": other.workspace.pk, "name": "Sneaky", "shortcut": "sneaky", "body": "x", **_mgmt()})
    assert "workspace" in _errors(response)
    assert not Snippet.objects.filter(shortcut="sneaky").exists()


def test_admin_adds_a_workspace_snippet_with_an_uploaded_file(demo, client_for):
    upload = SimpleUploadedFile("../../etc/Factura octubre.txt", PDF, content_type="text/html")
    response = client_for(demo.admin).post(reverse(ADD), {
        "workspace": demo.workspace.pk, "name": "Invoice", "shortcut": "/Invoice",
        "body": "Hi {{contact.first_name}}, your invoice.", **_mgmt(1),
        "attachments-0-upload": upload, "attachments-0-name": "",
    })
    assert response.status_code == 302, _errors(response)
    snippet = Snippet.objects.get(workspace=demo.workspace, shortcut="invoice")
    assert snippet.owner is None
    attachment = snippet.attachments.get()
    assert attachment.workspace == demo.workspace
    assert attachment.name == "Factura octubre.txt"
    assert attachment.content_type == "application/pdf"  # sniffed from the bytes, not the name or the header
    assert attachment.size == len(PDF)
    assert attachment.file.name.startswith(f"snippets/{demo.workspace.pk}/") and "Factura" not in attachment.file.name
    with attachment.file.open("rb") as fh:
        assert fh.read() == PDF


def test_a_renamed_non_pdf_is_not_taken_for_a_pdf(demo, client_for):
    upload = SimpleUploadedFile("invoice.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    response = client_for(demo.admin).post(reverse(ADD), {
        "workspace": demo.workspace.pk, "name": "Invoice", "shortcut": "invoice", "body": "Here.", **_mgmt(1),
        "attachments-0-upload": upload, "attachments-0-name": "invoice.pdf",
    })
    assert response.status_code == 302, _errors(response)
    assert SnippetAttachment.objects.get().content_type not in ("application/pdf", "text/plain")  # markup: sniffed


def test_file_errors_are_form_errors(demo, client_for, settings):
    settings.SNIPPET_ATTACHMENT_MAX_BYTES = 10
    client = client_for(demo.admin)
    data = {"workspace": demo.workspace.pk, "name": "Invoice", "shortcut": "invoice", "body": "Here.", **_mgmt(1)}
    response = client.post(reverse(ADD), {**data, "attachments-0-upload": SimpleUploadedFile("big.pdf", PDF)})
    assert "too large" in str(_errors(response)["attachments-0-upload"])
    response = client.post(reverse(ADD), {**data, "attachments-0-upload": SimpleUploadedFile("empty.pdf", b"")})
    assert "attachments-0-upload" in _errors(response)
    assert not Snippet.objects.exists()


def test_duplicate_shortcut_and_unknown_variable_are_form_errors(demo, rows, client_for):
    client = client_for(demo.admin)
    response = client.post(reverse(ADD), {
        "workspace": demo.workspace.pk, "name": "Again", "shortcut": "hello", "body": "x", **_mgmt()})
    assert "This workspace already has a snippet with this shortcut." in str(_errors(response))
    response = client.post(reverse(ADD), {
        "workspace": demo.workspace.pk, "name": "Typo", "shortcut": "typo", "body": "Hi {{contact.frist_name}}",
        **_mgmt()})
    assert "{{contact.frist_name}}" in str(_errors(response)["body"])
    # The agent's personal /mine does not block a workspace /mine.
    response = client.post(reverse(ADD), {
        "workspace": demo.workspace.pk, "name": "Shared mine", "shortcut": "mine", "body": "x", **_mgmt()})
    assert response.status_code == 302


def test_change_page_keeps_existing_files_and_can_remove_them(demo, rows, client_for):
    snippet = rows["demo"]
    pdf = make_file(snippet)
    client = client_for(demo.admin)
    url = reverse("admin:snippets_snippet_change", args=[snippet.pk])
    html = client.get(url).content.decode()
    assert "invoice.pdf" in html and pdf.file.name not in html  # no link into storage
    base = {"name": "Greeting", "shortcut": "hello", "body": "Hi!", **_mgmt(1, 1),
            "attachments-0-id": str(pdf.pk), "attachments-0-snippet": str(snippet.pk),
            "attachments-0-name": "factura.pdf"}
    assert client.post(url, base).status_code == 302
    pdf.refresh_from_db()
    assert pdf.name == "factura.pdf" and pdf.size == len(PDF)
    assert client.post(url, {**base, "attachments-0-DELETE": "on"}).status_code == 302
    assert not SnippetAttachment.objects.filter(pk=pdf.pk).exists()
