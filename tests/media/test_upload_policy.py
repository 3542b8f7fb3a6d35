"""One upload policy for agents, snippets and web chat visitors: the type comes from the bytes, limits are named."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connectors.base import Capabilities
from inbox.errors import InboxError
from inbox.models import Attachment, Message
from media import uploads
from snippets.errors import SnippetError
from snippets.models import SnippetAttachment
from snippets.services import snippet_create
from tests.inbox.test_attachments import HTML, SVG, png_bytes
from tests.webchat.test_webchat import make_webchat, new_token, post_message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)
    monkeypatch.setattr(tasks.download_attachments, "delay", lambda *a: None)


@pytest.fixture(autouse=True)
def roomy_session_limit(settings):
    settings.WEBCHAT_SESSIONS_PER_MINUTE = 1000


def claimed_png(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


# ---- web chat visitors ------------------------------------------------------------------------------


def test_a_visitor_upload_claiming_png_but_holding_html_is_stored_as_html(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    response = post_message(client, channel, token, files=[claimed_png("cute-cat.png", HTML)])
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    attachment = Attachment.objects.get(message=message)
    assert attachment.content_type == "text/html"  # the bytes, not the browser's "image/png"
    assert message.kind == "file"  # not an image: no thumbnail, only a download
    assert response.json()["message"]["attachments"][0]["content_type"] == "text/html"


def test_a_visitor_svg_with_script_claiming_png_is_a_file(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    assert post_message(client, channel, token, files=[claimed_png("logo.png", SVG)]).status_code == 201
    message = Message.objects.get()
    assert (message.kind, message.attachments.get().content_type) == ("file", "image/svg+xml")


def test_a_real_visitor_photo_is_an_image(demo, client):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    upload = SimpleUploadedFile("photo.bin", png_bytes(), content_type="application/octet-stream")
    assert post_message(client, channel, token, files=[upload]).status_code == 201
    message = Message.objects.get()
    assert (message.kind, message.attachments.get().content_type) == ("image", "image/png")


def test_visitor_file_count_size_and_empty_files_are_refused_with_clear_errors(demo, client, monkeypatch):
    channel = make_webchat(demo.workspace)
    token = new_token(client, channel)
    many = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(uploads.VISITOR_MAX_FILES + 1)]
    response = post_message(client, channel, token, files=many)
    assert response.status_code == 400 and response.json() == {
        "error": "Attach at most 5 files to one message (you chose 6).", "field": "files"}

    monkeypatch.setattr(uploads, "VISITOR_MAX_FILE_BYTES", 1024)
    response = post_message(client, channel, token, files=[SimpleUploadedFile("scan.pdf", b"%PDF-" + b"x" * 2048)])
    assert response.json()["error"] == "“scan.pdf” is too large: 2 KB, the limit is 1 KB."

    response = post_message(client, channel, token, files=[SimpleUploadedFile("blank.txt", b"")])
    assert response.json()["error"] == "“blank.txt” is empty (0 bytes); choose another file."
    assert not Message.objects.exists()


# ---- snippets -----------------------------------------------------------------------------------------


def test_a_snippet_file_claiming_png_but_holding_html_is_stored_as_html(demo):
    snippet = snippet_create(workspace=demo.workspace, member=demo.agent, name="Cat", shortcut="cat",
                             body="Look", files=[claimed_png("cat.png", HTML)])
    attachment = SnippetAttachment.objects.get(snippet=snippet)
    assert attachment.content_type == "text/html"


def test_the_snippet_page_stores_the_sniffed_type(demo, client_for):
    response = client_for(demo.agent).post(f"/w/{demo.slug}/snippets/new/", {
        "name": "Logo", "shortcut": "logo", "body": "Our logo", "file": claimed_png("logo.png", SVG)})
    assert response.status_code == 302
    assert SnippetAttachment.objects.get().content_type == "image/svg+xml"


def test_snippet_size_and_count_limits_come_from_the_policy(demo, settings):
    settings.SNIPPET_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(SnippetError, match="“big.pdf” is too large: 2 KB, the limit is 1 KB."):
        snippet_create(workspace=demo.workspace, member=demo.agent, name="Big", shortcut="big", body="x",
                       files=[SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2048)])
    too_many = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(uploads.SNIPPET_MAX_FILES + 1)]
    with pytest.raises(SnippetError, match="at most 5 files"):
        snippet_create(workspace=demo.workspace, member=demo.agent, name="Many", shortcut="many", body="x",
                       files=too_many)
    assert not SnippetAttachment.objects.exists()


# ---- one policy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [(HTML, "text/html"), (SVG, "image/svg+xml"),
                                                (png_bytes(), "image/png"), (b"hello", "application/octet-stream")])
@pytest.mark.parametrize("policy", [uploads.for_agents(Capabilities()), uploads.for_snippets(),
                                    uploads.for_visitors()], ids=["agents", "snippets", "visitors"])
def test_every_source_types_files_the_same_way(policy, data, expected):
    prepared = uploads.prepare_file(claimed_png("claimed.png", data), policy=policy)
    assert prepared.content_type == expected


def test_agents_get_the_channel_limit_in_the_error():
    with pytest.raises(InboxError, match="too large for this channel: 2 KB, the limit is 1 KB"):
        uploads.prepare_uploads(files=[SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 2048)],
                                capabilities=Capabilities(max_file_bytes=1024))
