"""Tagging contacts: the one place that adds and removes a contact's tags (and says so to the listeners)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contacts.models import Contact, ContactTag, Tag
from kernel import events as domain
from kernel.dispatch import record
from workspaces.models import Membership, Workspace


class TagError(ValueError):
    """The tag or the contact is not of this workspace."""


def _check(workspace: Workspace, contact_id: int, tag: Tag) -> None:
    if tag.workspace_id != workspace.pk:
        raise TagError(_("That tag belongs to another workspace."))
    if not Contact.objects.for_workspace(workspace).filter(pk=contact_id).exists():
        raise Contact.DoesNotExist


@transaction.atomic
def contact_tag_add(*, workspace: Workspace, contact_id: int, tag: Tag, actor: Membership | None = None,
                    workflow_id: int | None = None) -> bool:
    """Put `tag` on the contact. False when it already had it (nothing recorded); True records ContactTagged."""
    _check(workspace, contact_id, tag)
    try:
        with transaction.atomic():
            tagging = ContactTag.objects.create(workspace=workspace, contact_id=contact_id, tag=tag)
    except IntegrityError:  # already tagged (perhaps by someone else a moment ago)
        return False
    record(domain.ContactTagged(workspace_id=workspace.pk, contact_id=contact_id, tag_id=tag.pk,
                                tagging_id=tagging.pk, actor_id=actor.pk if actor else None,
                                workflow_id=workflow_id))
    return True


@transaction.atomic
def contact_tag_remove(*, workspace: Workspace, contact_id: int, tag: Tag, actor: Membership | None = None,
                       workflow_id: int | None = None) -> bool:
    """Take `tag` off the contact. False when it did not have it."""
    _check(workspace, contact_id, tag)
    deleted, _by_model = ContactTag.objects.for_workspace(workspace).filter(contact_id=contact_id, tag=tag).delete()
    if not deleted:
        return False
    record(domain.ContactUntagged(workspace_id=workspace.pk, contact_id=contact_id, tag_id=tag.pk,
                                  actor_id=actor.pk if actor else None, workflow_id=workflow_id))
    return True


def contact_tags_set(*, workspace: Workspace, contact_id: int, tags: list[Tag],
                     actor: Membership | None = None) -> None:
    """Make the contact's tags exactly `tags` (the admin's form): each one added or removed through the above."""
    wanted = {tag.pk: tag for tag in tags}
    current = {t.pk: t for t in Tag.objects.for_workspace(workspace).filter(taggings__contact_id=contact_id)}
    for pk, tag in wanted.items():
        if pk not in current:
            contact_tag_add(workspace=workspace, contact_id=contact_id, tag=tag, actor=actor)
    for pk, tag in current.items():
        if pk not in wanted:
            contact_tag_remove(workspace=workspace, contact_id=contact_id, tag=tag, actor=actor)
