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


@transaction.atomic
def workspace_invite(*, workspace: Workspace, email: str, display_name: str, role: str) -> tuple[Membership, bool]:
    """Add a person by email: an existing user joins, a new one is created without a usable password.

    Returns (membership, created_user). A new user sets a password through invite_link().
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email, None, display_name=display_name.strip(),
                                        first_name=display_name.strip().split(" ")[0] if display_name.strip() else "")
    membership = workspace_add_member(workspace=workspace, user=user, role=role)
    return membership, created


def invite_link(*, user: User) -> str:
    """An absolute one-time link where the user chooses a password (Django's reset token)."""
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PUBLIC_BASE_URL + reverse("set_password", args=[uid, token])
