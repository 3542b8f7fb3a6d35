"""A message sent in several parts: a retry after a failure half-way sends only what is missing."""

from __future__ import annotations

from inbox.services import delivery
from inbox.services.replying import send_reply
from tests import factories as f
from tests.fakes import telegram as tg
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.fakes.server import Reply
from tests.inbox.test_attachments import PDF, png_bytes, upload


def test_retry_after_a_failure_half_way_does_not_resend_the_first_part(demo, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", config={"bot_token": tg.BOT_TOKEN})
    contact = f.make_contact(demo.workspace, channel, external_id=str(tg.CHAT["id"]))
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                         body="Two files", files=[upload("shoe.png", png_bytes()), upload("list.pdf", PDF)])
    fake_telegram.script("/sendDocument", Reply(502, b"bad gateway", content_type="text/plain"))

    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is not None  # retry later
    message.refresh_from_db()
    assert message.status == "queued" and message.delivered_parts.count() == 1  # the photo, with its caption

    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent"
    sent = [r.path.rsplit("/", 1)[1] for r in fake_telegram.requests if "/send" in r.path]
    assert sent == ["sendPhoto", "sendDocument", "sendDocument"]  # the photo went once
    assert message.external_id and message.external_id.startswith(f"{tg.CHAT['id']}:")
