"""The composer's snippet endpoints and the members' page: scoped, personal vs workspace, bounded queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from snippets.models import Snippet, SnippetAttachment
from tests import factories as f

from .helpers import PDF, make_file, make_snippet

pytestmark = pytest.mark.django_db


@pytest.fixture
def snippets(demo, other):
    return {
        "hello": make_snippet(demo.workspace, "hello", name="Greeting", body="Hi {{contact.first_name}}!"),
        "invoice": make_snippet(demo.workspace, "invoice", name="Invoice attached", body="Here it is."),
        "mine": make_snippet(demo.workspace, "mine", name="My sign-off", body="Cheers, Agent", owner=demo.agent),
        "theirs": make_snippet(demo.workspace, "theirs", name="Someone else's", body="Hidden", owner=demo.agent2),
        "other": make_snippet(other.workspace, "hello", name="Other greeting", body="Other hi"),
    }


def _search(client, slug, q=""):
    response = client.get(f"/w/{slug}/snippets/search/", {"q": q})
    assert response.status_code == 200
    return response.json()


# -- search -------------------------------------------------------------------------------------------------


def test_search_lists_workspace_and_own_personal_snippets(demo, snippets, client_for):
    results = _search(client_for(demo.agent), demo.slug)
    assert [r["shortcut"] for r in results] == ["hello", "invoice", "mine"]
    assert results[0] == {"id": snippets["hello"].pk, "name": "Greeting", "shortcut": "hello",
                          "preview": "Hi {{contact.first_name}}!", "personal": False}
    assert results[2]["personal"] is True


def test_search_filters_by_shortcut_prefix_first_then_name(demo, snippets, client_for):
    client = client_for(demo.agent)
    assert [r["shortcut"] for r in _search(client, demo.slug, "in")] == ["invoice", "hello"]  # "Greet-in-g"
    assert [r["shortcut"] for r in _search(client, demo.slug, "/HEL")] == ["hello"]
    make_snippet(demo.workspace, "thanks", name="Say hello back")
    assert [r["shortcut"] for r in _search(client, demo.slug, "hello")] == ["hello", "thanks"]
    assert _search(client, demo.slug, "zzz") == []


def test_search_never_shows_another_members_or_workspaces_snippets(demo, other, snippets, client_for):
    shortcuts = [r["shortcut"] for r in _search(client_for(demo.agent2), demo.slug)]
    assert shortcuts == ["hello", "invoice", "theirs"]
    names = [r["name"] for r in _search(client_for(other.agent), other.slug)]
    assert names == ["Other greeting"]


def test_search_is_for_members_only(demo, other, snippets, client_for, client):
    assert client.get(f"/w/{demo.slug}/snippets/search/").status_code == 302  # anonymous → login
    assert client_for(other.agent).get(f"/w/{demo.slug}/snippets/search/").status_code == 404


def test_search_runs_a_bounded_number_of_queries(demo, snippets, client_for, django_assert_max_num_queries):
    client = client_for(demo.agent)
    for i in range(30):
        make_snippet(demo.workspace, f"extra-{i}", body="x" * 500)
    with django_assert_max_num_queries(4):
        results = _search(client, demo.slug, "extra")
    assert len(results) == 20 and all(len(r["preview"]) <= 90 for r in results)


# -- render -------------------------------------------------------------------------------------------------


def _render(client, slug, snippet_id, conversation_id):
    return client.get(f"/w/{slug}/snippets/{snippet_id}/render/", {"conversation": conversation_id})


def test_render_answers_text_warnings_and_attachments(demo, snippets, client_for):
    conversation = f.make_conversation(demo.workspace)
    pdf = make_file(snippets["invoice"])
    client = client_for(demo.agent)
    data = _render(client, demo.slug, snippets["hello"].pk, conversation.pk).json()
    assert data["text"] == "Hi Ana!" and data["warnings"] == [] and data["attachments"] == []
    data = _render(client, demo.slug, snippets["invoice"].pk, conversation.pk).json()
    assert data["attachments"] == [{"id": pdf.pk, "name": "invoice.pdf", "size": len(PDF),
                                    "content_type": "application/pdf"}]


def test_own_personal_snippet_renders(demo, snippets, client_for):
    conversation = f.make_conversation(demo.workspace)
    response = _render(client_for(demo.agent), demo.slug, snippets["mine"].pk, conversation.pk)
    assert response.status_code == 200 and response.json()["text"] == "Cheers, Agent"
    assert response["Cache-Control"] == "private, no-store"


def test_someone_elses_personal_snippet_is_not_found(demo, snippets, client_for):
    conversation = f.make_conversation(demo.workspace)
    assert _render(client_for(demo.agent), demo.slug, snippets["theirs"].pk, conversation.pk).status_code == 404
    assert _render(client_for(demo.admin), demo.slug, snippets["theirs"].pk, conversation.pk).status_code == 404


def test_another_workspaces_snippet_or_conversation_is_not_found(demo, other, snippets, client_for):
    mine = f.make_conversation(demo.workspace)
    theirs = f.make_conversation(other.workspace)
    client = client_for(demo.agent)
    assert _render(client, demo.slug, snippets["other"].pk, mine.pk).status_code == 404
    assert _render(client, demo.slug, snippets["hello"].pk, theirs.pk).status_code == 404
    assert _render(client_for(other.agent), demo.slug, snippets["hello"].pk, mine.pk).status_code == 404


def test_render_without_a_conversation_is_a_bad_request(demo, snippets, client_for):
    response = client_for(demo.agent).get(f"/w/{demo.slug}/snippets/{snippets['hello'].pk}/render/")
    assert response.status_code == 400 and response.json()["field"] == "conversation"


def test_render_runs_a_bounded_number_of_queries(demo, snippets, client_for, django_assert_max_num_queries):
    conversation = f.make_conversation(demo.workspace)
    for i in range(5):
        make_file(snippets["invoice"], name=f"page-{i}.pdf")
    client = client_for(demo.agent)
    with django_assert_max_num_queries(6):
        data = _render(client, demo.slug, snippets["invoice"].pk, conversation.pk).json()
    assert len(data["attachments"]) == 5


# -- the members' page --------------------------------------------------------------------------------------


def test_page_lists_own_snippets_and_workspace_snippets_read_only(demo, snippets, client_for,
                                                                  django_assert_max_num_queries):
    make_file(snippets["invoice"])
    client = client_for(demo.agent)
    with django_assert_max_num_queries(7):
        response = client.get(f"/w/{demo.slug}/snippets/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/mine" in html and "/hello" in html and "invoice.pdf" in html
    assert "theirs" not in html and "Other greeting" not in html
    assert f"/w/{demo.slug}/snippets/{snippets['mine'].pk}/edit/" in html
    assert f"/w/{demo.slug}/snippets/{snippets['hello'].pk}/edit/" not in html


def test_member_creates_a_personal_snippet(demo, client_for):
    client = client_for(demo.agent)
    assert client.get(f"/w/{demo.slug}/snippets/new/").status_code == 200
    upload = SimpleUploadedFile("price list.pdf", PDF, content_type="text/plain")
    response = client.post(f"/w/{demo.slug}/snippets/new/", {
        "name": " Thanks ", "shortcut": "/Thanks", "body": "Thanks {{contact.first_name}}!", "file": upload})
    assert response.status_code == 302
    snippet = Snippet.objects.get(shortcut="thanks")
    assert snippet.owner == demo.agent and snippet.workspace == demo.workspace and snippet.name == "Thanks"
    attachment = snippet.attachments.get()
    assert attachment.name == "price list.pdf" and attachment.content_type == "application/pdf"  # sniffed
    assert attachment.workspace == demo.workspace and "price" not in attachment.file.name


def test_form_errors_answer_400_with_the_form(demo, snippets, client_for):
    client = client_for(demo.agent)
    response = client.post(f"/w/{demo.slug}/snippets/new/", {"name": "Dup", "shortcut": "mine", "body": "x"})
    assert response.status_code == 400
    assert "You already have a snippet with this shortcut." in response.content.decode()
    response = client.post(f"/w/{demo.slug}/snippets/new/",
                           {"name": "Bad", "shortcut": "bad one!", "body": "Hi {{contact.age}}"})
    html = response.content.decode()
    assert response.status_code == 400 and "Use lowercase letters" in html and "Unknown variable" in html
    # A workspace snippet's shortcut may be reused for a personal one (the personal one is listed as such).
    response = client.post(f"/w/{demo.slug}/snippets/new/", {"name": "My hello", "shortcut": "hello", "body": "Yo"})
    assert response.status_code == 302


def test_member_edits_and_deletes_only_their_own(demo, snippets, client_for):
    client = client_for(demo.agent)
    mine = snippets["mine"]
    pdf = make_file(mine)
    response = client.post(f"/w/{demo.slug}/snippets/{mine.pk}/edit/",
                           {"name": "Sign-off", "shortcut": "bye", "body": "Bye!", "remove": [pdf.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.shortcut, mine.body) == ("bye", "Bye!") and not SnippetAttachment.objects.filter(pk=pdf.pk).exists()
    for snippet in (snippets["hello"], snippets["theirs"], snippets["other"]):
        for action in ("edit", "delete"):
            assert client.get(f"/w/{demo.slug}/snippets/{snippet.pk}/{action}/").status_code == 404
            assert client.post(f"/w/{demo.slug}/snippets/{snippet.pk}/{action}/",
                               {"name": "X", "shortcut": "x", "body": "x"}).status_code == 404
    assert Snippet.objects.filter(pk=snippets["theirs"].pk, body="Hidden").exists()
    assert client.get(f"/w/{demo.slug}/snippets/{mine.pk}/delete/").status_code == 200
    assert client.post(f"/w/{demo.slug}/snippets/{mine.pk}/delete/").status_code == 302
    assert not Snippet.objects.filter(pk=mine.pk).exists()


def test_snippet_files_download_for_members_who_may_use_them(demo, other, snippets, client_for):
    shared = make_file(snippets["invoice"])
    private = make_file(snippets["theirs"], name="secret.pdf")
    client = client_for(demo.agent)
    response = client.get(f"/w/{demo.slug}/snippets/files/{shared.pk}/")
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    assert client.get(f"/w/{demo.slug}/snippets/files/{private.pk}/").status_code == 404
    assert client_for(other.agent).get(f"/w/{other.slug}/snippets/files/{shared.pk}/").status_code == 404


def test_the_service_checks_fields_too(demo):
    from snippets.errors import SnippetError
    from snippets.services import snippet_create

    with pytest.raises(SnippetError, match="lowercase"):
        snippet_create(workspace=demo.workspace, member=demo.agent, name="X", shortcut="Bad One", body="x")
    with pytest.raises(SnippetError, match="at most 40"):
        snippet_create(workspace=demo.workspace, member=demo.agent, name="X", shortcut="a" * 41, body="x")
    with pytest.raises(SnippetError):
        snippet_create(workspace=demo.workspace, member=demo.agent, name="X", shortcut="ok", body="\x00 ")
    snippet = snippet_create(workspace=demo.workspace, member=demo.agent, name="X", shortcut="/OK", body="Hi")
    assert snippet.shortcut == "ok" and snippet.owner == demo.agent
