"""Writes for a person's own account: language, and what follows a new password."""

from __future__ import annotations

from realtime import sessions

from ..models import User


def user_set_language(*, user: User, language: str) -> User:
    """Store the user's interface language (one of settings.LANGUAGES)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def password_changed(*, user: User, keep_session_key: str | None, new_session_key: str | None = None,
                     reset: bool = False) -> None:
    """After a password change or reset: every other session is already invalid (Django checks the
    session's password hash on each request); close the live sockets those sessions still hold.
    `keep_session_key` is the key the changing request had before Django cycled it (None for a reset:
    close them all), `new_session_key` the one it has now (so a later sign-out there still closes its socket)."""
    sessions.revoke_user_sockets(user_id=user.pk, keep_session_key=keep_session_key, new_session_key=new_session_key,
                                 reason=sessions.PASSWORD_RESET if reset else sessions.PASSWORD_CHANGED)


def user_deactivated(*, user: User) -> None:
    """An account was switched off: its sessions no longer authenticate; close its live sockets too."""
    sessions.revoke_user_sockets(user_id=user.pk, reason=sessions.DEACTIVATED)
