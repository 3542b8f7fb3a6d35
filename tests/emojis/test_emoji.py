"""Emoji: `:shortcode:` becomes the emoji on send, everywhere it shows; the picker's data endpoint."""

from __future__ import annotations

import gzip
import json

import pytest
from django.urls import reverse

from emojis.data import entries, payload
from inbox.services import delivery
from inbox.services.replying import send_reply
from tests import factories as f
from tests.fakes import telegram as tg
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.inbox.helpers import webhook_receiver


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)


def emoji_url(demo, **query) -> str:
    url = reverse("emojis:list", args=[demo.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# ---- shortcodes on send -----------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("Gracias :thumbs_up:", "Gracias 👍"),
    ("Gracias :thumbsup: :+1:", "Gracias 👍 👍"),
    ("Listo :white_check_mark: y :red_heart:", "Listo ✅ y ❤️"),
    ("A las 10:30:00, :no_such_emoji:", "A las 10:30:00, :no_such_emoji:"),
])
def test_shortcodes_become_emoji_in_the_stored_body(demo, typed, stored):
    conversation = f.make_conversation(demo.workspace)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body=typed)
    message.refresh_from_db()
    assert message.body == stored


def test_emoji_show_in_the_queue_preview_and_the_history(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    client = client_for(demo.agent)
    response = client.post(reverse("inbox:reply", args=[demo.slug, conversation.pk]),
                           {"body": "Todo listo :thumbs_up:"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200 and "Todo listo 👍" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.last_message_preview == "Todo listo 👍"
    queue = client.get(reverse("inbox:queue", args=[demo.slug]) + "?tab=all").content.decode()
    assert "Todo listo 👍" in queue
    page = client.get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content.decode()
    assert '<p class="msg-body">Todo listo 👍</p>' in page


def test_emoji_reach_the_api_webhook_as_utf8_json(demo):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                             body="Recibido :thumbs_up: :party_popper:")
        assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    raw = receiver.requests[0]["body"]
    assert "Recibido 👍 🎉".encode() in raw  # real UTF-8, not \ud83d escapes or shortcodes
    assert receiver.json()["message"]["text"] == "Recibido 👍 🎉"
    assert receiver.requests[0]["headers"]["Content-Type"] == "application/json; charset=utf-8"


def test_emoji_reach_telegram_in_send_message(demo, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", config={"bot_token": tg.BOT_TOKEN})
    contact = f.make_contact(demo.workspace, channel, external_id=str(tg.CHAT["id"]))
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    message = send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent,
                         body="¡Gracias! :thumbs_up: 🇪🇸")
    assert delivery.deliver(workspace=demo.workspace, message_id=message.pk) is None
    [call] = fake_telegram.method_calls("sendMessage")
    assert call.params()["text"] == "¡Gracias! 👍 🇪🇸"


# ---- the picker's data ------------------------------------------------------------------------

def test_composer_has_the_emoji_button_and_dialog(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    html = client_for(demo.agent).get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content.decode()
    assert 'id="emoji-button" aria-label="Emoji"' in html and 'aria-haspopup="dialog"' in html
    assert 'role="dialog" aria-labelledby="emoji-picker-title"' in html
    assert 'role="combobox"' in html and 'role="listbox"' in html
    assert f'data-url="{reverse("emojis:list", args=[demo.slug])}?lang=en&amp;v=' in html
    assert "js/emoji.js" in html


def test_endpoint_answers_searchable_grouped_data(client_for, demo):
    response = client_for(demo.agent).get(emoji_url(demo, lang="en"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert [g["id"] for g in data["groups"]][:3] == ["smileys", "people", "nature"]
    assert data["groups"][0]["name"] == "Smileys & emotion"
    by_char = {item["e"]: item for item in data["emoji"]}
    thumbs = by_char["👍"]
    assert (thumbs["n"], thumbs["s"], thumbs["g"]) == ("thumbs up", "thumbs_up", "people")
    assert {"thumbsup", "+1"} <= set(thumbs["a"])
    assert (by_char["😀"]["g"], by_char["🐶"]["g"], by_char["🍕"]["g"], by_char["🇪🇸"]["g"]) == (
        "smileys", "nature", "food", "flags")
    assert by_char["🐭"]["g"] == "nature"  # "mouse face" is an animal, not a smiley
    # One entry per emoji: no skin-tone variants, no unqualified duplicates.
    assert "👍🏽" not in by_char and len(by_char) == len(data["emoji"])
    assert 1500 < len(data["emoji"]) < 2500
    assert response["Cache-Control"] == "private, max-age=86400" and response["ETag"]


def test_endpoint_speaks_the_ui_language_too(client_for, demo):
    data = json.loads(client_for(demo.agent).get(emoji_url(demo, lang="es")).content)
    thumbs = next(item for item in data["emoji"] if item["e"] == "👍")
    assert thumbs["n"] == "thumbs up" and thumbs["l"] == "pulgar hacia arriba"
    assert data["groups"][0]["name"] != "" and data["language"] == "es"


def test_endpoint_is_gzipped_and_answers_304_when_unchanged(client_for, demo):
    client = client_for(demo.agent)
    plain = client.get(emoji_url(demo, lang="en"))
    zipped = client.get(emoji_url(demo, lang="en"), HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 3
    again = client.get(emoji_url(demo, lang="en"), HTTP_IF_NONE_MATCH=plain["ETag"])
    assert again.status_code == 304 and not again.content


def test_endpoint_is_for_members_only(client, client_for, demo, other):
    assert client.get(emoji_url(demo)).status_code == 302
    assert client_for(other.agent).get(emoji_url(demo)).status_code == 404


def test_endpoint_is_built_once_and_costs_only_the_membership_lookup(client_for, demo,
                                                                      django_assert_max_num_queries):
    client = client_for(demo.agent)
    client.get(emoji_url(demo, lang="en"))
    before = payload.cache_info().hits
    with django_assert_max_num_queries(3):
        assert client.get(emoji_url(demo, lang="en")).status_code == 200
    assert payload.cache_info().hits == before + 1


def test_every_entry_has_a_name_a_shortcode_and_a_known_group():
    groups = {"smileys", "people", "nature", "food", "travel", "activities", "objects", "symbols", "flags"}
    items = entries("en")
    assert all(item["n"] and item["s"] and item["g"] in groups for item in items)
    assert sum(1 for item in items if item["g"] == "flags") > 250
