"""connect_channel: create a channel from the shell, validated with its provider; prints one JSON line."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inbox.services.channels import REQUIRED, ChannelError, channel_connect, inbound_url
from workspaces.models import Workspace

OPTIONS = ("token", "phone_number_id", "page_id", "access_token", "app_secret", "verify_token", "webhook_url",
           "allowed_origin")
ALLOWED = {**REQUIRED, "api": ("webhook_url",), "webchat": ("allowed_origin",)}


class Command(BaseCommand):
    help = (
        "Connect a channel: --workspace <slug> --kind <kind> --name <name> plus the kind's options "
        "(telegram: --token; whatsapp: --phone-number-id --access-token --app-secret --verify-token; "
        "messenger: --page-id --access-token --app-secret --verify-token; api: --webhook-url; "
        "webchat: --allowed-origin). Prints {\"uuid\", \"kind\", \"webhook_url\"} as one JSON line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--kind", required=True, choices=sorted(REQUIRED), help="The channel kind.")
        parser.add_argument("--name", required=True, help="A name agents will see.")
        parser.add_argument("--token", help="telegram: the bot token from @BotFather.")
        parser.add_argument("--phone-number-id", help="whatsapp: the business phone number id.")
        parser.add_argument("--page-id", help="messenger: the Facebook page id.")
        parser.add_argument("--access-token", help="whatsapp/messenger: a system-user or page access token.")
        parser.add_argument("--app-secret", help="whatsapp/messenger: the Meta app secret (signs webhooks).")
        parser.add_argument("--verify-token", help="whatsapp/messenger: the token you type in Meta's webhook form.")
        parser.add_argument("--webhook-url", help="api: where outbound messages are posted.")
        parser.add_argument("--allowed-origin", action="append", default=[],
                            help="webchat: a site origin allowed to load the widget (repeatable).")

    def handle(self, *args, **options) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with the slug {options['workspace']!r}.")
        kind = options["kind"]
        kind_options = {key: options[key] for key in OPTIONS if options.get(key)}
        stray = sorted(set(kind_options) - set(ALLOWED[kind]))
        if stray:
            raise CommandError(f"Not an option for a {kind} channel: "
                               + ", ".join("--" + key.replace("_", "-") for key in stray) + ".")
        try:
            channel = channel_connect(workspace=workspace, kind=kind, name=options["name"], **kind_options)
        except ChannelError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"uuid": str(channel.uuid), "kind": channel.kind,
                                      "webhook_url": inbound_url(channel)}))
