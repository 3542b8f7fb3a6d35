"""Who a channel's id is: the one place that finds, creates and completes contacts by identity.

A ContactIdentity is (channel, external id) → contact. Connectors only parse ids; the inbox's
receiving path and the web chat find contacts through these functions.
"""

from __future__ import annotations

from contacts.models import Contact, ContactIdentity
from kernel.text import clean_line
from workspaces.models import Workspace

NAME_CHARS, PHONE_CHARS, EMAIL_CHARS, ID_CHARS = 200, 40, 254, 255


def identity_find(*, workspace: Workspace | int, channel_id: int, external_id: str) -> ContactIdentity | None:
    """The identity (with its contact loaded) for this channel's id, or None for someone new."""
    return (
        ContactIdentity.objects.for_workspace(workspace).select_related("contact")
        .filter(channel_id=channel_id, external_id=clean_line(external_id, limit=ID_CHARS)).first()
    )


def contact_id_for(*, workspace: Workspace | int, channel_id: int, external_id: str) -> int | None:
    """Just the contact's id (one small query), or None."""
    return (
        ContactIdentity.objects.for_workspace(workspace)
        .filter(channel_id=channel_id, external_id=clean_line(external_id, limit=ID_CHARS))
        .values_list("contact_id", flat=True).first()
    )


def contact_create_with_identity(*, workspace: Workspace, channel_id: int, external_id: str, name: str = "",
                                 phone: str = "", email: str = "") -> Contact:
    """A new contact known on this channel by `external_id` (the caller holds the transaction)."""
    contact = Contact.objects.create(
        workspace=workspace, name=clean_line(name, limit=NAME_CHARS), phone=clean_line(phone, limit=PHONE_CHARS),
        email=clean_line(email, limit=EMAIL_CHARS),
    )
    ContactIdentity.objects.create(workspace=workspace, contact=contact, channel_id=channel_id,
                                   external_id=clean_line(external_id, limit=ID_CHARS))
    return contact


def contact_fill_blanks(*, contact: Contact, name: str = "", phone: str = "", email: str = "") -> list[str]:
    """A known contact keeps its data; blanks are filled from what the channel now tells us.
    Returns the fields that changed (saved)."""
    changed = []
    for field, value, limit in (("name", name, NAME_CHARS), ("phone", phone, PHONE_CHARS),
                                ("email", email, EMAIL_CHARS)):
        value = clean_line(value, limit=limit)
        if value and not getattr(contact, field):
            setattr(contact, field, value)
            changed.append(field)
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    return changed
