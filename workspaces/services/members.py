"""Writes for memberships: add, change a role, remove. Each records MembershipChanged (live sockets follow)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kernel import events
from kernel.dispatch import record

from ..models import Membership, User, Workspace


class MembershipError(Exception):
    """A membership change that would leave the workspace broken (shown to the admin as is)."""


@transaction.atomic
def workspace_add_member(*, workspace: Workspace, user: User, role: str) -> Membership:
    """Add the user to the workspace with the role, or change the role of an existing member.

    For code that already knows the person agreed (an accepted invitation, the demo seed, tests):
    admins add people only through invitations.
    """
    previous = Membership.objects.for_workspace(workspace).filter(user=user).values_list("role", flat=True).first()
    membership, _created = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if previous is not None and previous != role:
        record(events.MembershipChanged(workspace_id=workspace.pk, user_id=user.pk, removed=False))
    return membership


def _other_admins(membership: Membership):
    return (Membership.objects.for_workspace(membership.workspace_id)
            .filter(role=Membership.Role.ADMIN).exclude(pk=membership.pk))


@transaction.atomic
def membership_change_role(*, workspace: Workspace, membership: Membership, role: str) -> Membership:
    """Give a member another role. The last admin cannot be demoted. Their open sockets reconnect
    (and are re-checked) within a second."""
    membership = Membership.objects.for_workspace(workspace).select_for_update().get(pk=membership.pk)
    if role not in Membership.Role.values:
        raise MembershipError(_("Unknown role."))
    if membership.role == role:
        return membership
    if membership.role == Membership.Role.ADMIN and not _other_admins(membership).exists():
        raise MembershipError(_("%(name)s is the last admin of this workspace: make someone else an admin first.")
                              % {"name": membership.display_name})
    membership.role = role
    membership.save(update_fields=["role"])
    record(events.MembershipChanged(workspace_id=workspace.pk, user_id=membership.user_id, removed=False))
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, membership: Membership) -> None:
    """Remove a member. The last admin cannot be removed. Their sockets for this workspace close
    within a second and reconnecting is refused; their conversations go back to Unassigned."""
    membership = (Membership.objects.for_workspace(workspace).select_related("user")
                  .select_for_update().get(pk=membership.pk))
    if membership.role == Membership.Role.ADMIN and not _other_admins(membership).exists():
        raise MembershipError(_("%(name)s is the last admin of this workspace and cannot be removed.")
                              % {"name": membership.display_name})
    user_id = membership.user_id
    membership.delete()
    record(events.MembershipChanged(workspace_id=workspace.pk, user_id=user_id, removed=True))
