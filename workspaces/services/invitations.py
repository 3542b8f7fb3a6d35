"""Invitations: the only way an admin brings a person into a workspace.

A person joins by accepting, never by being added. An existing account accepts while signed in as
the invited email; a brand-new person chooses a password on the invitation page. Accepting never
changes an existing account's password. Tokens are 256-bit, stored as SHA-256, single use, expiring.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from ..models import Invitation, Membership, User, Workspace
from .members import workspace_add_member

INVITATION_DAYS = 7


class InvitationError(Exception):
    """Why an invitation cannot be created, sent or accepted; `code` names the case for pages."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # the raw token: put it in the link, then forget it

    @property
    def link(self) -> str:
        return invitation_link(token=self.token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def invitation_link(*, token: str) -> str:
    """The absolute link of an invitation (PUBLIC_BASE_URL)."""
    return settings.PUBLIC_BASE_URL + reverse("invitation", args=[token])


def normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def signup_link_allowed(*, user: User | None, workspace: Workspace) -> bool:
    """May a link let someone choose this account's password? Only for an account that never set one,
    is not staff or superuser, and belongs to no workspace but this one (or none: a brand-new invitee)."""
    if user is None:
        return True
    if user.is_staff or user.is_superuser or user.has_usable_password():
        return False
    return not Membership.objects.filter(user=user).exclude(workspace=workspace).exists()


@transaction.atomic
def invitation_create(*, workspace: Workspace, email: str, role: str, display_name: str = "",
                      invited_by: User | None) -> IssuedInvitation:
    """Invite an email to the workspace with a role. Raises InvitationError when the person is already
    a member or already has a pending invitation (resend that one instead)."""
    email = normalize_email(email)
    if not email:
        raise InvitationError(_("Enter an email address."), code="email")
    if role not in Membership.Role.values:
        raise InvitationError(_("Unknown role."), code="role")
    if Membership.objects.for_workspace(workspace).filter(user__email=email).exists():
        raise InvitationError(_("This person is already a member of the workspace."), code="member")
    now = timezone.now()
    pending = (Invitation.objects.for_workspace(workspace)
               .filter(email=email, accepted_at=None, revoked_at=None, expires_at__gt=now))
    if pending.exists():
        raise InvitationError(_("This person already has a pending invitation: resend it from the list."),
                              code="pending")
    token, digest = _new_token()
    invitation = Invitation.objects.create(
        workspace=workspace, email=email, role=role, display_name=display_name.strip()[:120],
        invited_by=invited_by, token_hash=digest, sent_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def invitation_resend(*, workspace: Workspace, invitation: Invitation) -> IssuedInvitation:
    """A fresh token and expiry for a pending or expired invitation (the old link stops working)."""
    invitation = Invitation.objects.for_workspace(workspace).select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation was already accepted."), code="used")
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was revoked: create a new one."), code="revoked")
    token, digest = _new_token()
    now = timezone.now()
    invitation.token_hash, invitation.sent_at = digest, now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def invitation_revoke(*, workspace: Workspace, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link answers "revoked" from now on."""
    invitation = Invitation.objects.for_workspace(workspace).select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link's token names, whatever its state, or None (unknown or forged)."""
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("workspace", "invited_by").filter(token_hash=_hash(token)).first()


def check_open(invitation: Invitation | None) -> Invitation:
    """Raise InvitationError (code unknown / used / revoked / expired) unless it can be accepted now."""
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied all of it."), code="unknown")
    status = invitation.status_at(timezone.now())
    if status == Invitation.Status.ACCEPTED:
        raise InvitationError(_("This invitation was already used."), code="used")
    if status == Invitation.Status.REVOKED:
        raise InvitationError(_("This invitation was withdrawn by the workspace."), code="revoked")
    if status == Invitation.Status.EXPIRED:
        raise InvitationError(_("This invitation has expired. Ask an admin of the workspace for a new one."),
                              code="expired")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User | None, password: str | None = None,
                      display_name: str = "") -> Membership:
    """Accept an invitation.

    - `user` signed in: their email must be the invited one; they join. Their password is never touched.
    - `user` None (a brand-new person): `password` (already validated) is required; an account is created
      for the invited email — or, for an account that never set a password and belongs nowhere else
      (signup_link_allowed), its password is set. Any other existing account must sign in first.
    Raises InvitationError; the invitation is used once (row lock).
    """
    found = invitation_by_token(token)
    if found is None:
        check_open(None)
    invitation = check_open(Invitation.objects.select_for_update().select_related("workspace").get(pk=found.pk))
    workspace = invitation.workspace
    if user is not None:
        if normalize_email(user.email) != invitation.email:
            raise InvitationError(
                _("This invitation is for %(email)s. Sign out, then sign in as %(email)s to accept it.")
                % {"email": invitation.email}, code="other_account")
    else:
        user = User.objects.select_for_update().filter(email=invitation.email).first()
        if user is not None and not signup_link_allowed(user=user, workspace=workspace):
            raise InvitationError(_("An account with this email exists: sign in to accept the invitation."),
                                  code="sign_in")
        if not password:
            raise InvitationError(_("Choose a password."), code="password")
        name = (display_name or invitation.display_name).strip()[:120]
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(invitation.email, password, display_name=name,
                                                    first_name=name.split(" ")[0] if name else "")
            except IntegrityError as exc:  # created by a racing acceptance of another invitation
                raise InvitationError(_("An account with this email exists: sign in to accept the invitation."),
                                      code="sign_in") from exc
        else:
            user.set_password(password)
            if name and not user.display_name:
                user.display_name = name
            user.save(update_fields=["password", "display_name"])
    if Membership.objects.for_workspace(workspace).filter(user=user).exists():
        membership = Membership.objects.for_workspace(workspace).get(user=user)
    else:
        membership = workspace_add_member(workspace=workspace, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def set_password_link(*, user: User) -> str:
    """A one-time link where an account that never had a password chooses one (Django's reset token).
    Callers check signup_link_allowed() first: this is never offered for any other account."""
    if user.has_usable_password() or user.is_staff or user.is_superuser:
        raise InvitationError(_("This account already has a password."), code="has_password")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.PUBLIC_BASE_URL + reverse("set_password", args=[uid, default_token_generator.make_token(user)])
