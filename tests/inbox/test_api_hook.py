import json

import pytest

from contacts.models import Contact
from inbox.models import Attachment, Message
from tests import factories as f

BODY = {
    "contact": {"id": "ext-123", "name": "Ana", "phone": "+34600000000", "email": "ana@example.com"},
    "message": {"id": "m-1", "text": "Hola", "attachments": [{"url": "https://files.example.com/f.pdf",
                                                               "name": "factura.pdf"}]},
    "extra": {"anything": True},
}


@pytest.fixture
def channel(demo):
    return f.make_channel(demo.workspace, "api")


def post(client, channel, body, token=None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/hooks/api/{channel.uuid}/", data=data, content_type="application/json",
                       headers={"Authorization": f"Bearer {token or channel.token}"})


def test_inbound_api_message_is_stored(client, channel, monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.download_attachments, "delay", lambda *a: None)
    response = post(client, channel, BODY)
    assert response.status_code == 200, response.content
    message = Message.objects.get(channel=channel)
    assert message.body == "Hola" and message.external_id == "m-1"
    assert message.conversation.contact.email == "ana@example.com"
    assert Attachment.objects.get(message=message).name == "factura.pdf"


def test_wrong_token_is_401_and_nothing_is_stored(client, channel):
    response = post(client, channel, BODY, token="wrong")
    assert response.status_code == 401
    assert not Message.objects.exists() and not Contact.objects.exists()


def test_missing_authorization_is_401(client, channel):
    response = client.post(f"/hooks/api/{channel.uuid}/", data=json.dumps(BODY), content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        ([], "body"),
        ({"message": {"id": "m", "text": "x"}}, "contact"),
        ({"contact": {"name": "Ana"}, "message": {"id": "m", "text": "x"}}, "contact.id"),
        ({"contact": {"id": "c"}, "message": {"text": "x"}}, "message.id"),
        ({"contact": {"id": "c"}, "message": {"id": "m"}}, "message.text"),
        ({"contact": {"id": "c"}, "message": {"id": "m", "text": 5}}, "message.text"),
        ({"contact": {"id": "c"}, "message": {"id": "m", "attachments": [{"name": "x"}]}},
         "message.attachments[0].url"),
        ({"contact": {"id": "c"}, "message": {"id": "m", "text": "x" * 5000}}, "message.text"),
    ],
)
def test_malformed_payload_is_400_naming_the_field(client, channel, body, field):
    response = post(client, channel, body)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["error"]
    assert not Message.objects.exists()


def test_same_message_id_twice_is_stored_once_and_both_answered_200(client, channel, monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.download_attachments, "delay", lambda *a: None)
    assert post(client, channel, BODY).status_code == 200
    second = post(client, channel, BODY)
    assert second.status_code == 200 and second.json()["duplicates"] == 1
    assert Message.objects.count() == 1


def test_unknown_channel_is_404(client, channel):
    response = client.post("/hooks/api/00000000-0000-0000-0000-000000000000/", data="{}",
                           content_type="application/json")
    assert response.status_code == 404


def test_token_of_another_channel_is_refused(client, channel, other):
    foreign = f.make_channel(other.workspace, "api")
    assert post(client, channel, BODY, token=foreign.token).status_code == 401


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_posts_are_stored_once(demo):
    from config.asgi import application
    from tests.connectors.helpers import hammer
    from tests.e2e.servers import LiveServer

    channel = f.make_channel(demo.workspace, "api")
    body = {"contact": {"id": "ext-50", "name": "Ana"}, "message": {"id": "m-50", "text": "Hola"}}
    server = LiveServer(application)  # the real ASGI server, as in production
    server.start()
    try:
        statuses = hammer(f"{server.url}/hooks/api/{channel.uuid}/", json.dumps(body).encode(),
                          {"Authorization": f"Bearer {channel.token}"}, n=50)
    finally:
        server.stop()
    assert statuses == [200] * 50
    assert Message.objects.filter(channel=channel).count() == 1
    assert Contact.objects.for_workspace(demo.workspace).count() == 1
    assert channel.conversations.count() == 1
