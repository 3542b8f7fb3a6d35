"""Demo data for the embedded mode: idempotent, refused when DEBUG is off."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from connectors.base import InboundMessage
from contacts.models import Contact
from inbox.models import Channel, ClosingCategory
from inbox.services.assignment import conversation_assign
from inbox.services.closing import conversation_close
from inbox.services.receiving import receive_message
from inbox.services.replying import send_reply
from inbox.services.setup import workspace_ensure_defaults
from snippets.services import ensure_demo_snippets
from surveys.demo import seed_demo_surveys
from webchat.services import webchat_demo_channel
from workflows.demo import ensure_demo_workflow
from workspaces.models import Membership, User, Workspace

DEMO_PASSWORD = "parley-demo"

DEMO_USERS = [
    # (workspace slug, email, display name, role)
    ("demo", "admin@demo.test", "Admin Demo", Membership.Role.ADMIN),
    ("demo", "supervisor@demo.test", "Supervisor Demo", Membership.Role.SUPERVISOR),
    ("demo", "agent1@demo.test", "Agent One", Membership.Role.AGENT),
    ("demo", "agent2@demo.test", "Agent Two", Membership.Role.AGENT),
    ("other", "owner@other.test", "Owner Other", Membership.Role.ADMIN),
]

DEMO_CONTACTS = [
    # name, phone, email, first message, state: open | mine | theirs | closed
    ("Ana García", "+34600000001", "ana@example.com", "Hola, ¿tenéis la factura de octubre?", "open"),
    ("Bruno Díaz", "+34600000002", "bruno@example.com", "My order #1042 has not arrived yet.", "agent1"),
    ("Carla Rossi", "+39300000003", "carla@example.com", "Can I change my delivery address?", "agent2"),
    ("Diego López", "+34600000004", "", "¿Abrís los domingos?", "closed"),
    ("Emma Schmidt", "+49150000005", "emma@example.com", "The app crashes when I upload a photo.", "open"),
    ("Farid Haddad", "", "farid@example.com", "I would like a refund, please.", "agent1"),
    ("Grace Kim", "+82100000007", "grace@example.com", "Thanks for the quick help yesterday! 👍", "closed"),
    ("Hugo Martin", "+33600000008", "", "Bonjour, vous livrez en France ?", "open"),
    ("Inés Torres", "+34600000009", "ines@example.com", "Necesito cambiar mi contraseña.", "agent2"),
    ("Jamal Okoye", "+23480000010", "jamal@example.com", "Is there a discount for teams?", "open"),
    ("Kenji Sato", "+81900000011", "", "Where can I find the user guide?", "closed"),
    ("Lucía Fernández", "+34600000012", "lucia@example.com", "¿Puedo pagar con transferencia?", "agent1"),
]



class DemoRefused(Exception):
    pass


@dataclass
class DemoResult:
    created_users: int
    created_conversations: int


def seed_demo() -> DemoResult:
    """Create the demo and other workspaces, their members, an API channel and conversations."""
    if not settings.DEBUG:
        raise DemoRefused(_("Refusing to create demo logins with a known password while DEBUG is off."))

    created_users = 0
    with transaction.atomic():
        workspaces = {
            "demo": Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo"})[0],
            "other": Workspace.objects.get_or_create(slug="other", defaults={"name": "Other"})[0],
        }
        members: dict[str, Membership] = {}
        for slug, email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, display_name=name,
                                                first_name=name.split(" ")[0])
                created_users += 1
            members[email] = Membership.objects.get_or_create(
                workspace=workspaces[slug], user=user, defaults={"role": role}
            )[0]
        for ws in workspaces.values():
            workspace_ensure_defaults(workspace=ws)
    created_conversations = _seed_conversations(workspaces["demo"], members)

    ensure_demo_snippets(workspaces["demo"])
    # After the demo conversations: the open ones stay unassigned for the demo; new ones are assigned.
    ensure_demo_workflow(workspaces["demo"], [members["agent1@demo.test"], members["agent2@demo.test"]])
    seed_demo_surveys(workspaces["demo"], members["agent1@demo.test"])
    _seed_other(workspaces["other"])
    return DemoResult(created_users=created_users, created_conversations=created_conversations)


def _seed_conversations(workspace: Workspace, members: dict[str, Membership]) -> int:
    api_channel = Channel.objects.for_workspace(workspace).filter(kind="api", name="Website API").first()
    if api_channel is None:
        api_channel = Channel.objects.create(workspace=workspace, kind="api", name="Website API")
    # Answered conversations come through the web chat, whose replies are delivered even without an
    # outside system; unanswered ones arrive through the API channel (it has no webhook URL yet).
    chat_channel = webchat_demo_channel()
    if Contact.objects.for_workspace(workspace).exists():
        return 0
    category = ClosingCategory.objects.for_workspace(workspace).order_by("position").first()
    count = 0
    for i, (name, phone, email, text, state) in enumerate(DEMO_CONTACTS, start=1):
        channel = api_channel if state == "open" else chat_channel
        result = receive_message(
            workspace=workspace, channel=channel,
            inbound=InboundMessage(external_contact_id=f"demo-{i}", external_message_id=f"demo-{i}-1",
                                   contact_name=name, phone=phone, email=email, text=text),
        )
        conversation = result.conversation
        count += 1
        if state in {"agent1", "agent2", "closed"}:
            agent = members["agent1@demo.test" if state != "agent2" else "agent2@demo.test"]
            send_reply(workspace=workspace, conversation_id=conversation.pk, member=agent,
                       body=f"Hi {name.split(' ')[0]}, thanks for writing! Let me check that for you.")
        if state == "closed":
            conversation_close(workspace=workspace, conversation_id=conversation.pk, category=category,
                               summary="Answered the question; nothing else pending.",
                               actor=members["agent1@demo.test"])
        elif state == "open" and i == 10:
            conversation_assign(workspace=workspace, conversation_id=conversation.pk, assignee=None,
                                actor=members["admin@demo.test"])
    return count


def _seed_other(workspace: Workspace) -> None:
    channel = Channel.objects.for_workspace(workspace).filter(kind="api").first()
    if channel is None:
        channel = Channel.objects.create(workspace=workspace, kind="api", name="Other API")
    if Contact.objects.for_workspace(workspace).exists():
        return
    receive_message(
        workspace=workspace, channel=channel,
        inbound=InboundMessage(external_contact_id="other-1", external_message_id="other-1-1",
                               contact_name="Zoe Other", text="A message only the Other workspace sees."),
    )
