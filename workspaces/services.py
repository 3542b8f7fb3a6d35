"""Writes for users, workspaces and memberships."""

from __future__ import annotations

from django.db import transaction

from .models import Membership, User, Workspace


def user_set_language(*, user: User, language: str) -> User:
    """Store the user's interface language (one of settings.LANGUAGES)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def workspace_add_member(*, workspace: Workspace, user: User, role: str) -> Membership:
    """Add the user to the workspace with the role, or change the role of an existing member."""
    membership, _created = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership
