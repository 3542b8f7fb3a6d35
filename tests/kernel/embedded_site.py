"""Run by tests/kernel/test_embedded.py before it starts `make run`'s server: migrate a fresh embedded
database and make one agent, one Telegram channel and one conversation. Prints their ids as one JSON line.

    python -m tests.kernel.embedded_site <agent email> <password> <bot token> <webhook secret>
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from connectors.base import InboundMessage  # noqa: E402
from inbox.models import Channel  # noqa: E402
from inbox.services.receiving import receive_message  # noqa: E402
from workspaces.models import Membership, User, Workspace  # noqa: E402


def main(email: str, password: str, bot_token: str, secret: str) -> None:
    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.create(name="Embedded", slug="embedded")
    user = User.objects.create_user(email, password, display_name="Agent Embedded")
    Membership.objects.create(workspace=workspace, user=user, role="agent")
    channel = Channel.objects.create(workspace=workspace, kind="telegram", name="Bot", secret=secret,
                                     config={"bot_token": bot_token})
    received = receive_message(workspace=workspace, channel=channel, inbound=InboundMessage(
        external_contact_id="111222333", external_message_id="1", text="Hola", contact_name="Ana García"))
    print(json.dumps({"slug": workspace.slug, "conversation": received.conversation.pk, "channel": str(channel.uuid)}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
