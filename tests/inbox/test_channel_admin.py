"""The channel admin: one form per kind, checked with the (fake) provider on save, write-only credentials.

The providers are the real fake HTTP servers of tests/fakes on 127.0.0.1 (as for `connect_channel`).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from inbox.admin import mask_secret
from inbox.models import Channel
from inbox.services.channels import channel_connect, inbound_url
from tests import factories as f
from tests.admin_helpers import admin_form_errors
from tests.fakes import fixtures as fakes
from tests.fakes import graph as g
from tests.fakes import telegram as tg

pytestmark = pytest.mark.django_db
fake_telegram, fake_graph = fakes.fake_telegram, fakes.fake_graph  # the fake providers' fixtures, used here

ADD = "/admin/inbox/channel/add/"
COMMON = {"workspace", "name", "is_active"}
FIELDS = {
    "webchat": COMMON | {"allowed_origins", "greeting", "ask_name", "ask_email"},
    "telegram": COMMON | {"bot_token"},
    "whatsapp": COMMON | {"phone_number_id", "access_token", "app_secret", "verify_token"},
    "messenger": COMMON | {"page_id", "access_token", "app_secret", "verify_token"},
    "api": COMMON | {"webhook_url"},
}
REVOKED_TOKEN = "999999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def change_url(channel: Channel) -> str:
    return reverse("admin:inbox_channel_change", args=[channel.pk])


def add(client, kind: str, workspace, **data):
    return client.post(f"{ADD}?kind={kind}", {"workspace": workspace.pk, "is_active": "on", **data})


def input_values(html: str) -> list[str]:
    return re.findall(r'<input[^>]*\bvalue="([^"]*)"', html)


@pytest.fixture
def admin_client(demo, client_for):
    return client_for(demo.admin)


# -- the kind comes first ----------------------------------------------------------------------------------


def test_adding_a_channel_first_asks_its_kind(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    html = response.content.decode()
    for kind in FIELDS:
        assert f'href="{ADD}?kind={kind}"' in html
    assert "What kind of channel do you want to add?" in html
    assert "adminform" not in response.context


@pytest.mark.parametrize("kind", list(FIELDS))
def test_each_kinds_add_form_has_only_its_own_fields(admin_client, kind):
    response = admin_client.get(f"{ADD}?kind={kind}")
    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == FIELDS[kind]
    html = response.content.decode()
    assert 'name="config"' not in html  # no raw JSON settings for people
    assert f"Add a {Channel.Kind(kind).label} channel" in html


def test_an_unknown_kind_shows_the_kind_choice_again(admin_client):
    response = admin_client.get(f"{ADD}?kind=fax")
    assert response.status_code == 200 and "adminform" not in response.context


# -- Telegram ---------------------------------------------------------------------------------------------


def test_telegram_without_a_token_cannot_be_saved(demo, admin_client, fake_telegram):
    response = add(admin_client, "telegram", demo.workspace, name="Bot", bot_token="")
    assert "bot_token" in admin_form_errors(response)
    assert "This field is required." in response.content.decode()
    assert not Channel.objects.exists() and fake_telegram.requests == []


def test_telegram_token_is_checked_with_telegram_and_its_webhook_registered(demo, admin_client, fake_telegram):
    response = add(admin_client, "telegram", demo.workspace, name="Support bot", bot_token=tg.BOT_TOKEN)
    assert response.status_code == 302, admin_form_errors(response)
    channel = Channel.objects.get(name="Support bot")
    assert (channel.kind, channel.is_active, channel.workspace) == ("telegram", True, demo.workspace)
    assert [r.path.rsplit("/", 1)[-1] for r in fake_telegram.requests] == ["getMe", "setWebhook"]
    hook = fake_telegram.requests[1].json
    assert hook["url"] == inbound_url(channel) and hook["secret_token"] == channel.secret
    assert channel.config["bot_token"] == tg.BOT_TOKEN and channel.config["bot_username"] == "parley_test_bot"
    html = admin_client.get(change_url(channel)).content.decode()
    assert tg.BOT_TOKEN not in html and tg.BOT_TOKEN.split(":")[1][:12] not in html
    assert channel.secret not in html
    assert inbound_url(channel) in html and "@parley_test_bot" in html


def test_a_refused_telegram_token_is_a_clear_error_and_nothing_is_saved(demo, admin_client, fake_telegram):
    response = add(admin_client, "telegram", demo.workspace, name="Bot", bot_token=REVOKED_TOKEN)
    errors = admin_form_errors(response)
    assert "Telegram refused the bot token" in " ".join(errors["bot_token"])
    assert REVOKED_TOKEN not in response.content.decode()  # a typed credential is not echoed back
    assert not Channel.objects.exists()
    assert len(fake_telegram.requests) == 1  # getMe only: no webhook registered


def test_telegram_unreachable_is_a_try_again_error_on_the_token(demo, admin_client, fake_telegram):
    fake_telegram.stop()
    response = add(admin_client, "telegram", demo.workspace, name="Bot", bot_token=tg.BOT_TOKEN)
    assert "could not be reached right now" in " ".join(admin_form_errors(response)["bot_token"])
    assert not Channel.objects.exists()


def test_a_malformed_telegram_token_never_reaches_telegram(demo, admin_client, fake_telegram):
    response = add(admin_client, "telegram", demo.workspace, name="Bot", bot_token="not-a-token")
    assert "does not look like a Telegram bot token" in " ".join(admin_form_errors(response)["bot_token"])
    assert fake_telegram.requests == []


def test_editing_with_an_empty_token_keeps_the_stored_one(demo, admin_client, fake_telegram):
    channel = channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
    secret = channel.secret
    page = admin_client.get(change_url(channel))
    html = page.content.decode()
    assert tg.BOT_TOKEN not in html and tg.BOT_TOKEN not in input_values(html)
    assert not page.context["adminform"].form.fields["bot_token"].required
    assert "Leave empty to keep it" in html and mask_secret(tg.BOT_TOKEN) in html
    fake_telegram.requests.clear()
    response = admin_client.post(change_url(channel), {"name": "Bot (renamed)", "is_active": "on", "bot_token": ""})
    assert response.status_code == 302, admin_form_errors(response)
    channel.refresh_from_db()
    assert channel.name == "Bot (renamed)" and channel.config["bot_token"] == tg.BOT_TOKEN
    assert channel.secret == secret  # Telegram is still sending with the secret it knows
    assert [r.path.rsplit("/", 1)[-1] for r in fake_telegram.requests] == ["getMe", "setWebhook"]
    assert fake_telegram.webhook["secret_token"] == secret


def test_a_broken_channel_cannot_be_saved_active_but_can_be_switched_off(demo, admin_client, fake_telegram):
    channel = channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
    del fake_telegram.tokens[tg.BOT_TOKEN]  # revoked at @BotFather
    response = admin_client.post(change_url(channel), {"name": "Bot", "is_active": "on", "bot_token": ""})
    assert "Telegram refused the bot token" in " ".join(admin_form_errors(response)["bot_token"])
    response = admin_client.post(change_url(channel), {"name": "Bot", "bot_token": ""})
    assert response.status_code == 302, admin_form_errors(response)
    channel.refresh_from_db()
    assert not channel.is_active and channel.config["bot_token"] == tg.BOT_TOKEN


# -- WhatsApp and Messenger ---------------------------------------------------------------------------------


def _whatsapp(**extra) -> dict:
    return {"name": "WA", "phone_number_id": g.PHONE_NUMBER_ID, "access_token": g.ACCESS_TOKEN,
            "app_secret": g.APP_SECRET, "verify_token": g.VERIFY_TOKEN, **extra}


def test_whatsapp_is_checked_with_the_graph_api_and_keeps_credentials_write_only(demo, admin_client, fake_graph):
    response = add(admin_client, "whatsapp", demo.workspace, **_whatsapp())
    assert response.status_code == 302, admin_form_errors(response)
    channel = Channel.objects.get(name="WA")
    [check] = fake_graph.requests
    assert (check.path, check.bearer) == (f"/{g.VERSION}/{g.PHONE_NUMBER_ID}", g.ACCESS_TOKEN)
    assert channel.config == {"phone_number_id": g.PHONE_NUMBER_ID, "access_token": g.ACCESS_TOKEN,
                              "app_secret": g.APP_SECRET, "verify_token": g.VERIFY_TOKEN,
                              "display_phone_number": g.DISPLAY_NUMBER}
    html = admin_client.get(change_url(channel)).content.decode()
    for credential in (g.ACCESS_TOKEN, g.APP_SECRET, g.VERIFY_TOKEN):
        assert credential not in html
    assert g.PHONE_NUMBER_ID in input_values(html)  # an id is not a credential: it stays editable
    assert g.DISPLAY_NUMBER in html and inbound_url(channel) in html
    # Saving again with every credential left empty keeps them all.
    response = admin_client.post(change_url(channel), _whatsapp(name="WA 2", access_token="", app_secret="",
                                                                verify_token="", is_active="on"))
    assert response.status_code == 302, admin_form_errors(response)
    channel.refresh_from_db()
    assert channel.name == "WA 2"
    assert (channel.config["access_token"], channel.config["app_secret"], channel.config["verify_token"]) == (
        g.ACCESS_TOKEN, g.APP_SECRET, g.VERIFY_TOKEN)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"access_token": "expired"}, "access_token", "WhatsApp refused the access token"),
    ({"phone_number_id": "123"}, "phone_number_id", "does not exist"),
    ({"phone_number_id": "12/../3"}, "phone_number_id", "is not a valid WhatsApp id"),
    ({"app_secret": ""}, "app_secret", "This field is required."),
])
def test_whatsapp_refusals_name_the_field_and_save_nothing(demo, admin_client, fake_graph, data, field, message):
    response = add(admin_client, "whatsapp", demo.workspace, **_whatsapp(**data))
    errors = admin_form_errors(response)
    assert message in " ".join(errors[field]), errors
    assert not Channel.objects.exists()


def test_meta_down_is_a_try_again_error(demo, admin_client, fake_graph):
    fake_graph.stop()
    response = add(admin_client, "whatsapp", demo.workspace, **_whatsapp())
    assert "could not be reached right now" in " ".join(admin_form_errors(response)["access_token"])


def test_messenger_checks_the_page(demo, admin_client, fake_graph):
    data = {"name": "FB", "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
            "verify_token": g.VERIFY_TOKEN}
    response = add(admin_client, "messenger", demo.workspace, **data)
    assert response.status_code == 302, admin_form_errors(response)
    channel = Channel.objects.get(name="FB")
    assert channel.config["page_name"] == "Parley Demo Page" and channel.config["access_token"] == g.PAGE_TOKEN
    html = admin_client.get(change_url(channel)).content.decode()
    assert g.PAGE_TOKEN not in html and "Parley Demo Page" in html
    response = add(admin_client, "messenger", demo.workspace, **{**data, "name": "FB 2", "page_id": "404404"})
    assert "does not exist" in " ".join(admin_form_errors(response)["page_id"])


# -- API ----------------------------------------------------------------------------------------------------


def test_api_webhook_url_to_a_private_address_is_refused(demo, admin_client, settings):
    settings.DEBUG = False
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    response = add(admin_client, "api", demo.workspace, name="API", webhook_url="http://127.0.0.1/x")
    assert "private or local address" in " ".join(admin_form_errors(response)["webhook_url"])
    response = add(admin_client, "api", demo.workspace, name="API", webhook_url="ftp://93.184.215.14/x")
    assert "http(s)" in " ".join(admin_form_errors(response)["webhook_url"])
    assert not Channel.objects.exists()
    response = add(admin_client, "api", demo.workspace, name="API", webhook_url="https://93.184.215.14/in")
    assert response.status_code == 302, admin_form_errors(response)
    assert Channel.objects.get(name="API").webhook_url == "https://93.184.215.14/in"


def test_new_api_channel_shows_its_generated_token_once(demo, admin_client):
    response = add(admin_client, "api", demo.workspace, name="Fresh API", webhook_url="")
    assert response.status_code == 302, admin_form_errors(response)
    channel = Channel.objects.get(name="Fresh API")
    first = admin_client.get(response["Location"]).content.decode()
    assert channel.token in first and channel.secret in first
    again = admin_client.get(response["Location"]).content.decode()
    assert channel.token not in again and channel.secret not in again


@pytest.fixture
def api_channel(demo):
    return f.make_channel(demo.workspace, name="Shop API", webhook_url="https://93.184.215.14/in")


def test_api_change_page_never_shows_credentials_in_full(demo, api_channel, admin_client, settings):
    response = admin_client.get(change_url(api_channel))
    html = response.content.decode()
    for secret in (api_channel.token, api_channel.secret):
        assert secret not in html and secret[:12] not in html
    assert mask_secret(api_channel.token) in html and mask_secret(api_channel.secret) in html
    assert f"{settings.PUBLIC_BASE_URL}/hooks/api/{api_channel.uuid}/" in html
    assert "https://93.184.215.14/in" in input_values(html)
    form = response.context["adminform"].form
    assert not {"token", "secret", "uuid", "config", "kind"} & set(form.fields)
    changelist = admin_client.get(reverse("admin:inbox_channel_changelist")).content.decode()
    assert api_channel.token not in changelist and api_channel.secret not in changelist


def _api_post(channel: Channel, **extra) -> dict:
    return {"name": channel.name, "is_active": "on", "webhook_url": channel.webhook_url, "new_token": "",
            "new_secret": "", **extra}


def test_saving_an_api_channel_keeps_its_credentials(api_channel, admin_client):
    token, secret = api_channel.token, api_channel.secret
    response = admin_client.post(change_url(api_channel), _api_post(api_channel, name="Shop API (renamed)"))
    assert response.status_code == 302, admin_form_errors(response)
    api_channel.refresh_from_db()
    assert (api_channel.name, api_channel.token, api_channel.secret) == ("Shop API (renamed)", token, secret)


def test_api_credentials_can_be_set_or_regenerated(api_channel, admin_client):
    old_secret = api_channel.secret
    new_token = "a-brand-new-inbound-token-0001"
    response = admin_client.post(change_url(api_channel), _api_post(api_channel, new_token=new_token,
                                                                     regenerate_secret="on"))
    assert response.status_code == 302, admin_form_errors(response)
    api_channel.refresh_from_db()
    assert api_channel.token == new_token
    assert api_channel.secret != old_secret and len(api_channel.secret) >= 32
    first = admin_client.get(change_url(api_channel)).content.decode()
    # A generated secret is shown exactly once (the admin must copy it); a typed token never is.
    assert api_channel.secret in first and new_token not in first
    html = admin_client.get(change_url(api_channel)).content.decode()
    assert new_token not in html and api_channel.secret not in html
    assert mask_secret(new_token) in html


def test_api_credentials_reject_both_a_new_value_and_regenerate_and_short_values(api_channel, admin_client):
    response = admin_client.post(change_url(api_channel), _api_post(api_channel, new_token="x" * 20,
                                                                     regenerate_token="on"))
    assert "new_token" in admin_form_errors(response)
    assert "x" * 20 not in response.content.decode()  # a typed credential is not echoed back
    response = admin_client.post(change_url(api_channel), _api_post(api_channel, new_token="short"))
    assert "new_token" in admin_form_errors(response)


# -- web chat -----------------------------------------------------------------------------------------------


def test_webchat_allowed_origins_are_lines_and_the_embed_snippet_is_shown(demo, admin_client, settings):
    response = add(admin_client, "webchat", demo.workspace, name="Site chat", greeting="Hello!", ask_name="on",
                   allowed_origins="https://Shop.Example.com/\nhttp://localhost:3000")
    assert response.status_code == 302, admin_form_errors(response)
    channel = Channel.objects.get(name="Site chat")
    assert channel.config["allowed_origins"] == ["https://shop.example.com", "http://localhost:3000"]
    assert channel.config["greeting"] == "Hello!"
    assert channel.config["ask_name"] is True and channel.config["ask_email"] is False
    html = admin_client.get(change_url(channel)).content.decode()
    snippet = f'<script src="{settings.PUBLIC_BASE_URL}/widget/{channel.uuid}.js" async></script>'
    assert snippet.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in html  # shown, not run
    assert "https://shop.example.com\nhttp://localhost:3000" in html
    bad = add(admin_client, "webchat", demo.workspace, name="Bad", allowed_origins="not a site")
    assert "allowed_origins" in admin_form_errors(bad)


# -- every kind ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FIELDS))
def test_the_inbound_url_is_on_the_change_page_read_only(demo, admin_client, settings, kind):
    channel = f.make_channel(demo.workspace, kind)
    response = admin_client.get(change_url(channel))
    html = response.content.decode()
    # Web chat visitors write through the widget, so its page shows the embed snippet instead (see above).
    url = (f"{settings.PUBLIC_BASE_URL}/widget/{channel.uuid}.js" if kind == "webchat"
           else f"{settings.PUBLIC_BASE_URL}/hooks/{kind}/{channel.uuid}/")
    assert url in html and url not in input_values(html)
    credentials = {"new_token", "regenerate_token", "new_secret", "regenerate_secret"} if kind == "api" else set()
    assert set(response.context["adminform"].form.fields) == FIELDS[kind] - {"workspace"} | credentials


def test_another_workspaces_channel_is_not_found(demo, other, admin_client, fake_telegram):
    channel = channel_connect(workspace=other.workspace, kind="telegram", name="Other bot", token=tg.BOT_TOKEN)
    for view in ("change", "history", "delete"):
        response = admin_client.get(reverse(f"admin:inbox_channel_{view}", args=[channel.pk]))
        assert response.status_code == 404, view
        assert "Other bot" not in response.content.decode()
    response = admin_client.post(change_url(channel), {"name": "Hijacked", "is_active": "on", "bot_token": ""})
    assert response.status_code == 404
    channel.refresh_from_db()
    assert channel.name == "Other bot"


def test_connect_action_reports_each_channel(demo, admin_client, fake_telegram):
    channel = channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
    response = admin_client.post(reverse("admin:inbox_channel_changelist"),
                                 {"action": "connect_or_test", "_selected_action": [channel.pk]}, follow=True)
    assert response.status_code == 200
    assert "Bot: Connected as @parley_test_bot." in response.content.decode()


def test_mask_secret():
    assert mask_secret("abcdefghijklmnopqrstuvwxyz") == "••••wxyz"
    assert mask_secret("short") == "••••"
    assert mask_secret("") == "—"
