"""Writes for users, workspaces, memberships and invitations (one module per topic)."""

from .accounts import password_changed, session_ended, user_deactivated, user_set_language
from .invitations import (
    InvitationError,
    invitation_accept,
    invitation_create,
    invitation_link,
    invitation_resend,
    invitation_revoke,
    signup_link_allowed,
)
from .members import MembershipError, membership_change_role, membership_remove, workspace_add_member

__all__ = [
    "InvitationError",
    "MembershipError",
    "invitation_accept",
    "invitation_create",
    "invitation_link",
    "invitation_resend",
    "invitation_revoke",
    "membership_change_role",
    "membership_remove",
    "password_changed",
    "session_ended",
    "signup_link_allowed",
    "user_deactivated",
    "user_set_language",
    "workspace_add_member",
]
