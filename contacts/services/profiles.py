"""Filling in who a new contact is, when the channel's webhook only gave an id (Messenger)."""

from __future__ import annotations

from connectors import registry
from connectors.base import SendError, TransientSendError
from contacts.models import Contact, ContactIdentity
from kernel.dispatch import record
from kernel.events import ContactUpdated
from kernel.text import clean_line
from workspaces.models import Workspace


def wants_profile(kind: str) -> bool:
    return hasattr(registry.get(kind), "fetch_profile")


def contact_fill_from_channel(*, workspace: Workspace, contact_id: int, channel_id: int) -> bool:
    """Ask the channel for the contact's name and fill it if still blank (ContactUpdated is recorded then).

    Returns True to retry later.
    """
    identity = (
        ContactIdentity.objects.for_workspace(workspace).select_related("channel", "contact")
        .filter(contact_id=contact_id, channel_id=channel_id).first()
    )
    if identity is None or identity.contact.name:
        return False
    connector = registry.get(identity.channel.kind)
    if not hasattr(connector, "fetch_profile"):
        return False
    try:
        profile = connector.fetch_profile(identity.channel, identity.external_id)
    except TransientSendError:
        return True
    except SendError:
        return False  # no permission for profiles, or the person blocked it: the id stays the name
    name = clean_line(profile.get("name"), limit=200)
    if name and Contact.objects.for_workspace(workspace).filter(pk=contact_id, name="").update(name=name):
        # Rows and headers showing the contact re-render live (no more unnamed contact until a reload).
        record(ContactUpdated(workspace_id=workspace.pk, contact_id=contact_id))
    return False
