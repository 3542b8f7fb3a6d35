"""Live sockets react to what happened to people: sign-outs, password changes, membership changes."""

from __future__ import annotations

from kernel import events

from . import sessions


def close_sockets_of_session(event: events.SessionEnded) -> None:
    sessions.revoke_session_sockets(session_key=event.session_key, reason=sessions.SIGNED_OUT)


def close_other_sockets_after_password_change(event: events.PasswordChanged) -> None:
    sessions.revoke_user_sockets(
        user_id=event.user_id, keep_session_key=event.keep_session_key, new_session_key=event.new_session_key,
        reason=sessions.PASSWORD_RESET if event.reset else sessions.PASSWORD_CHANGED)


def close_sockets_of_deactivated_account(event: events.AccountDeactivated) -> None:
    sessions.revoke_user_sockets(user_id=event.user_id, reason=sessions.DEACTIVATED)


def follow_membership_change(event: events.MembershipChanged) -> None:
    """Removed: the workspace's sockets close for good (4403). Role changed: they reconnect and are re-checked."""
    sessions.revoke_membership_sockets(
        user_id=event.user_id, workspace_id=event.workspace_id,
        reason=sessions.MEMBERSHIP_REMOVED if event.removed else sessions.ROLE_CHANGED)
