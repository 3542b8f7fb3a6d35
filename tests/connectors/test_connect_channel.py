"""connect_channel and the channel services: provider validation, webhook registration, plain-words errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inbox.models import Channel
from inbox.services.channels import ChannelError, channel_connect, channel_test
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes import telegram as tg


def connect(*args: str) -> dict:
    out = StringIO()
    call_command("connect_channel", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_telegram_calls_get_me_then_set_webhook_with_a_secret(demo, fake_telegram, settings):
    settings.PUBLIC_BASE_URL = "https://parley.example.com"
    printed = connect("--workspace", "demo", "--kind", "telegram", "--name", "Bot", "--token", tg.BOT_TOKEN)
    channel = Channel.objects.get(uuid=printed["uuid"])
    assert printed == {"uuid": str(channel.uuid), "kind": "telegram",
                       "webhook_url": f"https://parley.example.com/hooks/telegram/{channel.uuid}/"}
    assert [r.path.rsplit("/", 1)[-1] for r in fake_telegram.requests] == ["getMe", "setWebhook"]
    hook = fake_telegram.requests[1].json
    assert hook["url"] == printed["webhook_url"]
    assert hook["secret_token"] == channel.secret and len(channel.secret) >= 32
    assert hook["allowed_updates"] == ["message", "edited_message"]
    assert channel.workspace == demo.workspace and channel.name == "Bot"
    assert channel.config["bot_token"] == tg.BOT_TOKEN and channel.config["bot_username"] == "parley_test_bot"


def test_two_telegram_channels_get_different_secrets(demo, fake_telegram):
    a = connect("--workspace", "demo", "--kind", "telegram", "--name", "A", "--token", tg.BOT_TOKEN)
    b = connect("--workspace", "demo", "--kind", "telegram", "--name", "B", "--token", tg.BOT_TOKEN)
    assert Channel.objects.get(uuid=a["uuid"]).secret != Channel.objects.get(uuid=b["uuid"]).secret


def test_a_revoked_telegram_token_is_refused_in_plain_words(demo, fake_telegram):
    with pytest.raises(CommandError, match="Telegram refused the bot token"):
        connect("--workspace", "demo", "--kind", "telegram", "--name", "Bot",
                "--token", "999999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert not Channel.objects.exists()
    assert len(fake_telegram.requests) == 1  # getMe only: no webhook registered


@pytest.mark.parametrize(("args", "message"), [
    (["--workspace", "nope", "--kind", "telegram", "--name", "Bot", "--token", tg.BOT_TOKEN], "No workspace"),
    (["--workspace", "demo", "--kind", "telegram", "--name", "Bot"], "--token"),
    (["--workspace", "demo", "--kind", "telegram", "--name", "Bot", "--token", "not-a-token"], "does not look"),
    (["--workspace", "demo", "--kind", "whatsapp", "--name", "WA", "--phone-number-id", "1"],
     "--access-token, --app-secret, --verify-token"),
    (["--workspace", "demo", "--kind", "telegram", "--name", "Bot", "--token", tg.BOT_TOKEN, "--page-id", "1"],
     "Not an option for a telegram channel: --page-id"),
    (["--workspace", "demo", "--kind", "telegram", "--name", " ", "--token", tg.BOT_TOKEN], "name is required"),
])
def test_bad_input_is_a_clear_command_error(demo, fake_telegram, args, message):
    with pytest.raises(CommandError, match=message):
        connect(*args)
    assert not Channel.objects.exists()


def test_unknown_kind_is_refused_by_the_parser(demo):
    with pytest.raises(CommandError, match="invalid choice"):
        connect("--workspace", "demo", "--kind", "fax", "--name", "X")


def test_whatsapp_checks_the_phone_number_with_the_token(demo, fake_graph):
    printed = connect("--workspace", "demo", "--kind", "whatsapp", "--name", "WA", "--phone-number-id",
                      g.PHONE_NUMBER_ID, "--access-token", g.ACCESS_TOKEN, "--app-secret", g.APP_SECRET,
                      "--verify-token", g.VERIFY_TOKEN)
    channel = Channel.objects.get(uuid=printed["uuid"])
    assert printed["webhook_url"].endswith(f"/hooks/whatsapp/{channel.uuid}/")
    [check] = fake_graph.requests
    assert (check.method, check.path, check.bearer) == ("GET", f"/{g.VERSION}/{g.PHONE_NUMBER_ID}", g.ACCESS_TOKEN)
    assert channel.config == {"phone_number_id": g.PHONE_NUMBER_ID, "access_token": g.ACCESS_TOKEN,
                              "app_secret": g.APP_SECRET, "verify_token": g.VERIFY_TOKEN,
                              "display_phone_number": g.DISPLAY_NUMBER}


@pytest.mark.parametrize(("token", "number", "message"), [
    ("bad-token", g.PHONE_NUMBER_ID, "refused the access token"),
    (g.ACCESS_TOKEN, "123", "does not exist"),
])
def test_whatsapp_provider_refusal_is_a_command_error(demo, fake_graph, token, number, message):
    with pytest.raises(CommandError, match=message):
        connect("--workspace", "demo", "--kind", "whatsapp", "--name", "WA", "--phone-number-id", number,
                "--access-token", token, "--app-secret", "s", "--verify-token", "v")
    assert not Channel.objects.exists()


def test_messenger_checks_the_page(demo, fake_graph):
    printed = connect("--workspace", "demo", "--kind", "messenger", "--name", "FB", "--page-id", g.PAGE_ID,
                      "--access-token", g.PAGE_TOKEN, "--app-secret", g.APP_SECRET, "--verify-token", g.VERIFY_TOKEN)
    channel = Channel.objects.get(uuid=printed["uuid"])
    assert channel.config["page_name"] == "Parley Demo Page"
    assert fake_graph.requests[0].path == f"/{g.VERSION}/{g.PAGE_ID}"


def test_api_and_webchat_channels(demo, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    settings.DEBUG = False
    api = connect("--workspace", "demo", "--kind", "api", "--name", "API", "--webhook-url", "https://93.184.215.14/in")
    assert Channel.objects.get(uuid=api["uuid"]).webhook_url == "https://93.184.215.14/in"
    with pytest.raises(CommandError, match="private or local address"):
        connect("--workspace", "demo", "--kind", "api", "--name", "API", "--webhook-url", "http://127.0.0.1/x")
    chat = connect("--workspace", "demo", "--kind", "webchat", "--name", "Site",
                   "--allowed-origin", "https://Shop.Example.com/", "--allowed-origin", "http://localhost:3000")
    assert Channel.objects.get(uuid=chat["uuid"]).config["allowed_origins"] == [
        "https://shop.example.com", "http://localhost:3000"]


def test_channel_test_reregisters_a_moved_telegram_webhook(demo, fake_telegram):
    channel = channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
    assert channel_test(workspace=demo.workspace, channel=channel) == "Connected as @parley_test_bot."
    fake_telegram.webhook = {"url": "https://elsewhere.example/hook"}
    channel.secret = "regenerated-in-the-admin"
    result = channel_test(workspace=demo.workspace, channel=channel)
    assert result == "Connected as @parley_test_bot; the webhook was registered again."
    assert fake_telegram.webhook["secret_token"] == "regenerated-in-the-admin"


def test_an_unreachable_public_url_is_explained(demo, fake_telegram, settings):
    fake_telegram.script("/setWebhook", tg.error(400, "Bad Request: bad webhook: An HTTPS URL must be provided "
                                                      "for webhook"))
    with pytest.raises(ChannelError, match="An HTTPS URL must be provided .* check PUBLIC_BASE_URL"):
        channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
    assert not Channel.objects.exists()


def test_channel_test_reports_provider_errors_in_plain_words(demo, other, fake_graph):
    channel = f.make_channel(demo.workspace, "whatsapp", config={"phone_number_id": g.PHONE_NUMBER_ID,
                                                                 "access_token": "expired"})
    with pytest.raises(ChannelError, match="WhatsApp refused the access token .* reconnect the channel"):
        channel_test(workspace=demo.workspace, channel=channel)
    channel.config["access_token"] = g.ACCESS_TOKEN
    assert channel_test(workspace=demo.workspace, channel=channel) == f"Connected to {g.DISPLAY_NUMBER} (Parley Demo)."
    with pytest.raises(Channel.DoesNotExist):
        channel_test(workspace=other.workspace, channel=channel)


def test_provider_down_is_a_try_again_error(demo, fake_telegram):
    fake_telegram.stop()
    with pytest.raises(ChannelError, match="could not be reached right now"):
        channel_connect(workspace=demo.workspace, kind="telegram", name="Bot", token=tg.BOT_TOKEN)
