"""Voice notes: strict server-side checks, per-channel conversion (checked with ffprobe), delivery, history."""

from __future__ import annotations

import functools
import io
import json
import subprocess
import tempfile
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pydub import AudioSegment
from pydub.generators import Sine

from connectors import registry
from inbox.errors import InboxError
from inbox.models import Attachment, Message
from inbox.services import delivery_media
from inbox.services import downloads as media
from inbox.services.delivery import deliver
from inbox.services.replying import send_reply
from media import voice
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes import telegram as tg
from tests.fakes.fixtures import fake_graph, fake_telegram  # noqa: F401
from tests.inbox.helpers import webhook_receiver

# ---- audio made on the spot ------------------------------------------------------------------------


@functools.cache
def recording(seconds: float = 2.0, *, fmt: str = "webm", codec: str = "libopus", channels: int = 2,
              bitrate: str = "128k") -> bytes:
    """A tone encoded like a browser's recording (stereo webm/opus at 128k by default)."""
    tone = Sine(440).to_audio_segment(duration=int(seconds * 1000)).set_frame_rate(48000).set_channels(channels)
    buffer = io.BytesIO()
    tone.export(buffer, format=fmt, codec=codec, bitrate=bitrate)
    return buffer.getvalue()


@functools.cache
def long_silence(seconds: float) -> bytes:
    """Minutes of silence, cheap to make: low-rate mono OGG/Opus."""
    buffer = io.BytesIO()
    AudioSegment.silent(duration=int(seconds * 1000), frame_rate=16000).export(
        buffer, format="ogg", codec="libopus", bitrate="12k")
    return buffer.getvalue()


def ffmpeg_make(*args: str, suffix: str) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=suffix) as out:
        subprocess.run(["ffmpeg", "-v", "error", "-y", *args, out.name], check=True, timeout=60)
        return out.read()


def ffprobe(data: bytes) -> dict:
    """ffprobe's own view of some bytes: {"format": …, "audio": first audio stream}."""
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(data)
        tmp.flush()
        result = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", tmp.name],
                                capture_output=True, check=True, timeout=60)
    info = json.loads(result.stdout)
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    return {"format": info["format"], "audio": audio[0], "streams": info["streams"]}


def upload(data: bytes, name: str = "voice-note.webm", content_type: str = "audio/webm") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# ---- validation ------------------------------------------------------------------------------------


def test_a_browser_recording_is_accepted_as_recorded():
    prepared = voice.prepare_voice(upload=upload(recording(2.0)))
    assert (prepared.name, prepared.content_type) == ("voice-note.webm", "audio/webm")
    assert prepared.duration == pytest.approx(2.0, abs=0.1)
    assert prepared.size == len(recording(2.0))
    assert prepared.content.read() == recording(2.0)  # the original is kept as it came


def test_the_declared_name_and_type_are_ignored():
    data = recording(1.0, fmt="ogg")
    prepared = voice.prepare_voice(upload=upload(data, name="photo.png", content_type="image/png"))
    assert (prepared.name, prepared.content_type) == ("voice-note.ogg", "audio/ogg")


@pytest.mark.parametrize("data", [
    b"this is not audio at all, just text pretending " * 40,
    b"\x1a\x45\xdf\xa3" + b"\x00garbage after an EBML magic" * 50,  # looks like webm to a sniffer, is not
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 300,
], ids=["text", "fake-webm-header", "png-header"])
def test_bytes_that_are_not_audio_are_refused(data):
    with pytest.raises(InboxError, match="not audio"):
        voice.prepare_voice(upload=upload(data))


def test_a_video_is_not_a_voice_note():
    video = ffmpeg_make("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1", "-f", "lavfi",
                        "-i", "sine=duration=1", "-c:v", "libvpx", "-c:a", "libopus", suffix=".webm")
    with pytest.raises(InboxError, match="not audio"):
        voice.prepare_voice(upload=upload(video))


def test_a_playlist_is_never_followed():
    # An HLS playlist would make ffmpeg read other files; only plain audio demuxers may open an upload.
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    with pytest.raises(InboxError, match="not audio"):
        voice.prepare_voice(upload=upload(playlist, name="voice.m3u8"))


def test_a_recording_over_five_minutes_is_refused_naming_the_limit(settings):
    settings.VOICE_NOTE_MAX_SECONDS = 300
    with pytest.raises(InboxError) as refused:
        voice.prepare_voice(upload=upload(long_silence(301), name="voice-note.ogg"))
    assert str(refused.value) == "The recording is 5:01 long; voice notes can be at most 5:00."


def test_five_minutes_and_a_late_stop_are_accepted(settings):
    settings.VOICE_NOTE_MAX_SECONDS = 300
    prepared = voice.prepare_voice(upload=upload(long_silence(300.3), name="voice-note.ogg"))
    assert prepared.duration == pytest.approx(300.3, abs=0.05)


def test_the_limit_comes_from_the_setting(settings):
    settings.VOICE_NOTE_MAX_SECONDS = 3
    with pytest.raises(InboxError, match="at most 0:03"):
        voice.prepare_voice(upload=upload(recording(5.0)))
    assert voice.prepare_voice(upload=upload(recording(3.0))).duration == pytest.approx(3.0, abs=0.1)


def test_a_recording_without_a_duration_in_its_header_is_measured_by_decoding(settings):
    # Browsers stream their webm and never write its duration: the decoded samples decide.
    settings.VOICE_NOTE_MAX_SECONDS = 3
    streamed = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=10", "-c:a", "libopus",
                               "-f", "webm", "pipe:1"], capture_output=True, check=True, timeout=60).stdout
    assert "duration" not in ffprobe(streamed)["format"]
    with pytest.raises(InboxError, match="0:10 long"):
        voice.prepare_voice(upload=upload(streamed))


def test_a_streamed_recording_is_rewrapped_to_state_its_length_not_reencoded():
    streamed = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "libopus",
                               "-b:a", "32k", "-f", "webm", "pipe:1"], capture_output=True, check=True,
                              timeout=60).stdout
    prepared = voice.prepare_voice(upload=upload(streamed))
    stored = prepared.content.read()
    assert prepared.size == len(stored) and prepared.content_type == "audio/webm"
    info = ffprobe(stored)
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.1)
    assert (info["audio"]["codec_name"], info["audio"]["channels"]) == ("opus", 1)
    assert abs(len(stored) - len(streamed)) < 1024  # the same packets in a new wrapper


def test_a_huge_file_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(voice, "decoded_seconds", lambda *a, **k: pytest.fail("decoded a file over the limit"))
    with pytest.raises(InboxError, match="too large \\(at most 16 MB\\)"):
        voice.prepare_voice(upload=upload(b"\x00" * (16 * 1024 * 1024 + 1)))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The recording is empty."),
    (None, "The recording is empty or too short."),
], ids=["no-bytes", "a-blip"])
def test_empty_recordings_are_refused(data, message):
    if data is None:
        data = recording(0.05)
    with pytest.raises(InboxError) as refused:
        voice.prepare_voice(upload=upload(data))
    assert str(refused.value) == message


def test_measure_duration_of_inbound_audio():
    assert voice.measure_duration(recording(1.5, fmt="ogg")) == pytest.approx(1.5, abs=0.1)
    assert voice.measure_duration(b"OggS-not-really") is None


# ---- replying with a voice note ----------------------------------------------------------------------


def test_send_reply_stores_the_original_as_a_voice_note_with_its_caption(demo):
    conversation = f.make_conversation(demo.workspace)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                         body="Te lo explico", voice=upload(recording(2.0)))
    assert (message.kind, message.body, message.status) == ("voice", "Te lo explico", "queued")
    [original] = message.attachments.all()
    assert original.purpose == "original" and original.content_type == "audio/webm"
    assert original.duration == pytest.approx(2.0, abs=0.1)
    assert original.file.read() == recording(2.0)


def test_the_reply_view_refuses_a_bad_recording_and_stores_nothing(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    url = reverse("inbox:reply", args=[demo.slug, conversation.pk])
    response = client_for(demo.agent).post(url, {"body": "caption", "voice": upload(b"nope" * 100)},
                                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    assert response.content.decode() == "The recording is not audio that can be played."
    assert not Message.objects.filter(direction="out").exists()


def test_the_reply_view_answers_a_voice_note_with_a_player(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    url = reverse("inbox:reply", args=[demo.slug, conversation.pk])
    response = client_for(demo.agent).post(url, {"body": "", "voice": upload(recording(2.0))},
                                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "<audio controls" in html and "Voice note · 0:02" in html


# ---- conversion (ffprobe is the judge) ---------------------------------------------------------------


def voice_message(demo, kind: str = "telegram", data: bytes | None = None) -> Message:
    conversation = f.make_conversation(demo.workspace, channel=f.make_channel(demo.workspace, kind))
    return send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body="",
                      voice=upload(data or recording(2.0)))


def copies(message: Message) -> list[Attachment]:
    return list(Attachment.objects.filter(message=message, purpose="delivery"))


@pytest.mark.parametrize("kind", ["telegram", "whatsapp", "api"])
def test_voice_note_channels_get_ogg_opus_mono_at_speech_bitrate(demo, kind):
    message = voice_message(demo, kind)
    delivery_media.prepare_for_channel(message=message, capabilities=registry.get(kind).capabilities)
    [copy] = copies(message)
    assert (copy.name, copy.content_type) == ("voice-note.ogg", "audio/ogg")
    info = ffprobe(copy.file.read())
    assert info["format"]["format_name"] == "ogg"
    assert (info["audio"]["codec_name"], info["audio"]["channels"]) == ("opus", 1)
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.1)
    assert copy.duration == pytest.approx(2.0, abs=0.1)
    # Compact (WhatsApp keeps its voice-note play control for small files): a third of the recording.
    assert copy.size < len(recording(2.0)) / 3 and int(info["format"]["bit_rate"]) < 64_000


def test_channels_without_voice_notes_get_an_m4a_audio_file(demo):
    message = voice_message(demo, "messenger")
    delivery_media.prepare_for_channel(message=message, capabilities=registry.get("messenger").capabilities)
    [copy] = copies(message)
    assert (copy.name, copy.content_type) == ("voice-recording.m4a", "audio/mp4")
    info = ffprobe(copy.file.read())
    assert "m4a" in info["format"]["format_name"].split(",")
    assert (info["audio"]["codec_name"], info["audio"]["channels"]) == ("aac", 1)
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.15)


def test_a_compact_recording_in_an_accepted_format_goes_as_recorded(demo):
    # The web chat plays a browser's webm/opus itself: no copy, so its visitor gets exactly one file.
    compact = recording(2.0, channels=1, bitrate="24k")
    message = voice_message(demo, "webchat", data=compact)
    delivery_media.prepare_for_channel(message=message, capabilities=registry.get("webchat").capabilities)
    assert copies(message) == []
    assert [a.content_type for a in delivery_media.files_for_delivery(message)] == ["audio/webm"]


def test_conversion_is_done_once(demo):
    message = voice_message(demo, "telegram")
    capabilities = registry.get("telegram").capabilities
    delivery_media.prepare_for_channel(message=message, capabilities=capabilities)
    message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
    delivery_media.prepare_for_channel(message=message, capabilities=capabilities)
    assert len(copies(message)) == 1
    assert [a.purpose for a in delivery_media.files_for_delivery(message)] == ["delivery"]
    fresh = Message.objects.prefetch_related("attachments").get(pk=message.pk)
    assert [a.purpose for a in fresh.shown_attachments] == ["original"]  # members hear the original


# ---- per channel, against the fake providers ----------------------------------------------------------


def reply_to(demo, channel, external_id: str, body: str = "") -> Message:
    contact = f.make_contact(demo.workspace, channel, external_id=external_id)
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    return send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body=body,
                      voice=upload(recording(2.0)))


def assert_sent(demo, message: Message) -> None:
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason


def test_telegram_receives_send_voice_with_ogg_opus(demo, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", secret="s3cret", config={"bot_token": tg.BOT_TOKEN})
    message = reply_to(demo, channel, str(tg.CHAT["id"]), body="Escucha esto")
    assert_sent(demo, message)
    [call] = fake_telegram.method_calls("sendVoice")
    fields, files = call.form()
    assert fields == {"chat_id": str(tg.CHAT["id"]), "caption": "Escucha esto"}
    name, ctype, data = files["voice"]
    assert (name, ctype) == ("voice-note.ogg", "audio/ogg")
    info = ffprobe(data)
    assert (info["format"]["format_name"], info["audio"]["codec_name"], info["audio"]["channels"]) == ("ogg", "opus", 1)
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.1)


def test_whatsapp_uploads_ogg_then_sends_audio_with_voice_true(demo, fake_graph):  # noqa: F811
    channel = f.make_channel(demo.workspace, "whatsapp", config={
        "phone_number_id": g.PHONE_NUMBER_ID, "access_token": g.ACCESS_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})
    message = reply_to(demo, channel, g.WA_ID)
    assert_sent(demo, message)
    upload_call, send_call = fake_graph.requests
    fields, files = upload_call.form()
    assert upload_call.path.endswith(f"/{g.PHONE_NUMBER_ID}/media")
    assert fields == {"messaging_product": "whatsapp", "type": "audio/ogg"}
    name, ctype, data = files["file"]
    assert (name, ctype) == ("voice-note.ogg", "audio/ogg")
    assert ffprobe(data)["audio"]["codec_name"] == "opus"
    media_id = next(iter(fake_graph.media))
    assert send_call.json == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": g.WA_ID,
                              "type": "audio", "audio": {"id": media_id, "voice": True}}


def test_messenger_gets_an_audio_attachment_not_a_voice_note(demo, fake_graph):  # noqa: F811
    channel = f.make_channel(demo.workspace, "messenger", config={
        "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})
    message = reply_to(demo, channel, g.PSID)
    assert_sent(demo, message)
    [call] = fake_graph.requests
    fields, files = call.form()
    assert json.loads(fields["message"]) == {"attachment": {"type": "audio", "payload": {"is_reusable": True}}}
    name, ctype, data = files["filedata"]
    assert (name, ctype) == ("voice-recording.m4a", "audio/mp4")
    assert ffprobe(data)["audio"]["codec_name"] == "aac"


def test_the_api_channel_webhook_gets_a_voice_note_as_audio_ogg(demo, client):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        message = reply_to(demo, channel, "ext-7", body="Caption")
        assert_sent(demo, message)
        payload = receiver.json()["message"]
    assert (payload["kind"], payload["text"]) == ("voice", "Caption")
    [attachment] = payload["attachments"]
    assert (attachment["name"], attachment["content_type"]) == ("voice-note.ogg", "audio/ogg")
    response = client.get(urlsplit(attachment["url"]).path)  # signed: no session needed
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(data) == attachment["size"]
    assert ffprobe(data)["audio"]["codec_name"] == "opus"


# ---- history -----------------------------------------------------------------------------------------


def test_our_voice_note_plays_in_the_history_with_its_duration(demo, client_for):
    message = voice_message(demo, "telegram", data=recording(3.0))
    page = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, message.conversation_id]))
    html = page.content.decode()
    original = message.attachments.get()
    src = reverse("inbox:attachment", args=[demo.slug, original.pk])
    assert f'<audio controls preload="metadata" src="{src}"' in html
    assert "Voice note · 0:03" in html


def test_a_contacts_inbound_voice_message_plays_with_its_duration(demo, client, client_for, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", secret="s3cret", config={"bot_token": tg.BOT_TOKEN})
    fake_telegram.add_file("AwACAgIAAxkBAAIBZ2VvoiceFileId", "voice/file_7.oga", recording(3.0, fmt="ogg"))
    response = client.post(f"/hooks/telegram/{channel.uuid}/", data=json.dumps(tg.voice_update()),
                           content_type="application/json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
    assert response.status_code == 200
    message = Message.objects.get(channel=channel, direction="in")
    assert message.kind == "voice"
    assert media.download_attachments(workspace=demo.workspace, message_id=message.pk) is False
    attachment = message.attachments.get()
    page = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, message.conversation_id]))
    html = page.content.decode()
    assert f'src="{reverse("inbox:attachment", args=[demo.slug, attachment.pk])}"' in html
    assert "<audio controls" in html and "Voice note · 0:03" in html


def test_inbound_voice_duration_is_measured_on_download(demo, client, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", secret="s3cret", config={"bot_token": tg.BOT_TOKEN})
    fake_telegram.add_file("AwACAgIAAxkBAAIBZ2VvoiceFileId", "voice/file_7.oga", recording(3.0, fmt="ogg"))
    client.post(f"/hooks/telegram/{channel.uuid}/", data=json.dumps(tg.voice_update()),
                content_type="application/json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
    message = Message.objects.get(channel=channel, direction="in")
    media.download_attachments(workspace=demo.workspace, message_id=message.pk)
    assert message.attachments.get().duration == pytest.approx(3.0, abs=0.1)
