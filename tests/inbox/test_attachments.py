"""Attachments: channel limits and sniffed types on the server, members-only and signed serving, delivery."""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connectors import registry
from connectors.base import Capabilities
from inbox import files as inbox_files
from inbox.errors import InboxError
from inbox.models import Attachment, Message
from inbox.services import delivery
from inbox.services.replying import send_reply
from media.uploads import MAX_FILES, clean_name, kind_for, prepare_uploads, sniff
from tests import factories as f
from tests.fakes import telegram as tg
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.inbox.helpers import webhook_receiver

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (red pixels), made without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(name: str, data: bytes, ctype: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=ctype)


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)


@pytest.fixture
def small_api_limit(monkeypatch):
    """The API channel accepts at most 1 KB per file for this test."""
    monkeypatch.setattr(type(registry.get("api")), "capabilities", Capabilities(max_file_bytes=1024))


def reply_url(demo, conversation) -> str:
    return reverse("inbox:reply", args=[demo.slug, conversation.pk])


def post_reply(client, demo, conversation, body: str, *files):
    return client.post(reply_url(demo, conversation), {"body": body, "files": list(files)},
                       HTTP_X_REQUESTED_WITH="fetch")


# ---- checks on the server ---------------------------------------------------------------------

def test_too_big_for_the_channel_is_refused_naming_the_file_and_the_limit(client_for, demo, small_api_limit):
    conversation = f.make_conversation(demo.workspace)
    client = client_for(demo.agent)
    response = post_reply(client, demo, conversation, "Here is the catalogue",
                          upload("catalogue.pdf", PDF + b"x" * 2048), upload("ok.txt", b"fine"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "“catalogue.pdf”" in text and "limit is 1 KB" in text and ": 2 KB," in text
    # The whole send is refused: nothing stored, nobody assigned, the composer keeps everything.
    assert not conversation.messages.filter(direction="out").exists()
    assert not Attachment.objects.exists()
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_empty_file_is_refused(demo):
    with pytest.raises(InboxError, match="“blank.txt” is empty"):
        prepare_uploads(files=[upload("blank.txt", b"")], capabilities=Capabilities())


def test_too_many_files_are_refused(demo):
    many = [upload(f"f{i}.txt", b"x") for i in range(MAX_FILES + 1)]
    with pytest.raises(InboxError, match=f"at most {MAX_FILES} files"):
        prepare_uploads(files=many, capabilities=Capabilities())


def test_a_kind_the_channel_refuses_is_named(demo):
    with pytest.raises(InboxError, match="does not accept images like “a.png”"):
        prepare_uploads(files=[upload("a.png", png_bytes())], capabilities=Capabilities(image=False))


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("photo.png", png_bytes(), "image/png"),
    ("photo.txt", png_bytes(), "image/png"),                       # the bytes win over the name
    ("invoice.png", HTML, "text/html"),                            # HTML dressed as an image
    ("logo.png", SVG, "image/svg+xml"),
    ("holiday.jpg", EXE, "application/vnd.microsoft.portable-executable"),
    ("song.mp3", b"just some text", "application/octet-stream"),   # claims media, is not
    ("report.pdf", b"not a pdf at all", "application/octet-stream"),
    ("notes.txt", b"plain words", "text/plain"),
    ("sheet.csv", b"a,b\n1,2\n", "text/csv"),
    ("report.pdf", PDF, "application/pdf"),
])
def test_the_type_is_sniffed_from_the_bytes(name, data, expected):
    assert sniff(data[:512], name) == expected


def test_svg_and_unknown_images_are_files_not_thumbnails():
    assert kind_for("image/png") == "image"
    assert kind_for("image/svg+xml") == "file"
    assert kind_for("image/heic") == "file"
    assert kind_for("text/html") == "file"


def test_png_that_is_really_html_is_stored_and_served_as_a_download(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    client = client_for(demo.agent)
    assert post_reply(client, demo, conversation, "", upload("invoice.png", HTML, "image/png")).status_code == 200
    message = conversation.messages.get(direction="out")
    attachment = message.attachments.get()
    assert (message.kind, attachment.content_type) == ("file", "text/html")
    response = client.get(reverse("inbox:attachment", args=[demo.slug, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "invoice.png" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_exe_renamed_jpg_is_not_an_image(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    client = client_for(demo.agent)
    assert post_reply(client, demo, conversation, "Fotos", upload("holiday.jpg", EXE, "image/jpeg")).status_code == 200
    message = conversation.messages.get(direction="out")
    attachment = message.attachments.get()
    assert message.kind == "file" and not attachment.content_type.startswith("image/")
    html = client.get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content.decode()
    assert 'class="file-card"' in html and "holiday.jpg" in html and 'alt="holiday.jpg"' not in html


def test_names_lose_directories_and_direction_tricks():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\ana\\cv.pdf") == "cv.pdf"
    assert clean_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    long = clean_name("a" * 400 + ".pdf")
    assert len(long) == 200 and long.endswith("….pdf")


def test_text_and_files_together_show_a_caption_a_thumbnail_and_a_card(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    client = client_for(demo.agent)
    response = post_reply(client, demo, conversation, "Both files, as promised",
                          upload("shoe.png", png_bytes()), upload("price list.pdf", PDF))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Both files, as promised" in html
    assert 'alt="shoe.png"' in html and "<img" in html
    assert 'class="file-card"' in html and "price list.pdf" in html
    message = conversation.messages.get(direction="out")
    assert message.kind == "image" and message.body == "Both files, as promised"
    assert [a.name for a in message.attachments.order_by("id")] == ["shoe.png", "price list.pdf"]
    assert all("shoe" not in a.file.name and "price" not in a.file.name for a in message.attachments.all())


def test_composer_carries_the_channel_limits(client_for, demo):
    channel = f.make_channel(demo.workspace, "telegram", config={"bot_token": tg.BOT_TOKEN})
    conversation = f.make_conversation(demo.workspace, channel=channel)
    html = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content.decode()
    assert f'data-max-bytes="{50 * 1024 * 1024}"' in html and 'data-max-label="50 MB"' in html
    assert 'data-kinds="image audio file"' in html and f'data-max-files="{MAX_FILES}"' in html
    assert 'aria-label="Attach files"' in html and 'id="attach-input" name="files" multiple' in html
    assert "js/attachments.js" in html


# ---- serving ----------------------------------------------------------------------------------

def stored(workspace, name: str, ctype: str, data: bytes, *, conversation=None) -> Attachment:
    conversation = conversation or f.make_conversation(workspace)
    message = Message.objects.create(workspace=workspace, conversation=conversation, channel=conversation.channel,
                                     direction="in", kind="file", sender_type="contact", body="",
                                     status="received", created_at=conversation.opened_at)
    attachment = Attachment(workspace=workspace, message=message, name=name, content_type=ctype, size=len(data))
    attachment.file.save("ignored", ContentFile(data), save=True)
    return attachment


@pytest.mark.parametrize(("name", "ctype", "data"), [
    ("drawing.svg", "image/svg+xml", SVG),
    ("page.html", "text/html", HTML),
    ("app.js", "text/javascript", b"alert(1)"),
    ("fake.png", "image/png", HTML),          # a provider's claim the bytes do not back
    ("doc.pdf", "application/pdf", PDF),
])
def test_risky_files_are_always_downloads_with_nosniff(client_for, demo, name, ctype, data):
    attachment = stored(demo.workspace, name, ctype, data)
    response = client_for(demo.agent).get(reverse("inbox:attachment", args=[demo.slug, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;") and name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == data


def test_real_images_are_shown_inline(client_for, demo):
    attachment = stored(demo.workspace, "shoe.png", "image/png", png_bytes())
    response = client_for(demo.agent).get(reverse("inbox:attachment", args=[demo.slug, attachment.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_hostile_file_names_cannot_break_the_header(client_for, demo):
    attachment = stored(demo.workspace, 'a"b\\c\r\nSet-Cookie: x=1.txt', "text/plain", b"hi")
    response = client_for(demo.agent).get(reverse("inbox:attachment", args=[demo.slug, attachment.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition and "x" not in response.cookies


def test_another_workspaces_attachment_is_404(client_for, demo, other):
    theirs = stored(other.workspace, "secret.pdf", "application/pdf", PDF)
    client = client_for(demo.agent)
    assert client.get(reverse("inbox:attachment", args=[demo.slug, theirs.pk])).status_code == 404
    assert client.get(reverse("inbox:attachment", args=[other.slug, theirs.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, demo):
    attachment = stored(demo.workspace, "a.pdf", "application/pdf", PDF)
    response = client.get(reverse("inbox:attachment", args=[demo.slug, attachment.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_signed_link_works_without_a_session_until_it_expires(client, demo, monkeypatch):
    attachment = stored(demo.workspace, "a.pdf", "application/pdf", PDF)
    token = inbox_files.signed_token(attachment)
    url = reverse("signed_file", args=[token])
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert client.head(url).status_code == 200
    later = time.time() + inbox_files.SIGNED_LINK_MAX_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(url).status_code == 404


def test_forged_or_tampered_signed_links_are_404(client, demo, other):
    mine = stored(demo.workspace, "a.pdf", "application/pdf", PDF)
    theirs = stored(other.workspace, "b.pdf", "application/pdf", PDF)
    forged = signing.dumps({"a": theirs.pk, "w": theirs.workspace_id}, salt="another.salt", compress=True)
    crossed = signing.dumps({"a": theirs.pk, "w": mine.workspace_id}, salt="parley.attachment", compress=True)
    token = inbox_files.signed_token(mine)
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", crossed):
        assert client.get(reverse("signed_file", args=[bad])).status_code == 404


# ---- delivery ---------------------------------------------------------------------------------

def test_two_files_reach_the_api_webhook_as_two_signed_urls(client, demo):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                             body="Both attached", files=[upload("shoe.png", png_bytes()), upload("list.pdf", PDF)])
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    payload = receiver.json()["message"]
    assert payload["text"] == "Both attached" and payload["kind"] == "image"
    first, second = payload["attachments"]
    assert (first["name"], first["content_type"], first["size"]) == ("shoe.png", "image/png", len(png_bytes()))
    assert (second["name"], second["content_type"], second["size"]) == ("list.pdf", "application/pdf", len(PDF))
    for item, data in ((first, png_bytes()), (second, PDF)):
        assert item["url"].startswith("http") and "/files/" in item["url"]
        path = "/" + item["url"].split("://", 1)[1].split("/", 1)[1]
        response = client.get(path)  # no session: the signature is the permission
        assert response.status_code == 200 and b"".join(response.streaming_content) == data


def test_two_files_reach_telegram_as_photo_and_document(demo, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", config={"bot_token": tg.BOT_TOKEN})
    contact = f.make_contact(demo.workspace, channel, external_id=str(tg.CHAT["id"]))
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                         body="Mira 👍", files=[upload("shoe.png", png_bytes()), upload("list.pdf", PDF)])
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    calls = [r for r in fake_telegram.requests if "/send" in r.path]
    assert [c.path.rsplit("/", 1)[1] for c in calls] == ["sendPhoto", "sendDocument"]
    photo_fields, photo_files = calls[0].form()
    assert photo_fields["caption"] == "Mira 👍" and photo_files["photo"] == ("shoe.png", "image/png", png_bytes())
    doc_fields, doc_files = calls[1].form()
    assert "caption" not in doc_fields and doc_files["document"] == ("list.pdf", "application/pdf", PDF)
