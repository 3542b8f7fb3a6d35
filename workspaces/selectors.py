"""Reads for workspaces and memberships."""

from __future__ import annotations

from .models import Membership, User, Workspace


def membership_for(*, user: User, slug: str) -> Membership | None:
    """The user's membership in the workspace with this slug, or None (the caller answers 404)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("workspace", "user")
        .filter(user=user, workspace__slug=slug)
        .first()
    )


def memberships_of(*, user: User) -> list[Membership]:
    """Every workspace the user belongs to, for the switcher."""
    return list(Membership.objects.select_related("workspace").filter(user=user).order_by("workspace__name"))


def members_of(*, workspace: Workspace) -> list[Membership]:
    """The workspace's members, by display name."""
    members = list(Membership.objects.for_workspace(workspace).select_related("user"))
    return sorted(members, key=lambda m: m.display_name.lower())


def admin_workspace_ids(*, user: User) -> list[int]:
    """Workspaces in which the user is an admin (the admin site shows only their rows)."""
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list("workspace_id", flat=True)
    )
