"""Writes for a person's own account: language, and what follows a new password."""

from __future__ import annotations

from kernel import events
from kernel.dispatch import record

from ..models import User


def user_set_language(*, user: User, language: str) -> User:
    """Store the user's interface language (one of settings.LANGUAGES)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def password_changed(*, user: User, keep_session_key: str | None, new_session_key: str | None = None,
                     reset: bool = False) -> None:
    """After a password change or reset: every other session is already invalid (Django checks the
    session's password hash on each request); their live sockets close (a listener of PasswordChanged).
    `keep_session_key` is the key the changing request had before Django cycled it (None for a reset:
    close them all), `new_session_key` the one it has now (so a later sign-out there still closes its socket)."""
    record(events.PasswordChanged(user_id=user.pk, keep_session_key=keep_session_key,
                                  new_session_key=new_session_key, reset=reset))


def user_deactivated(*, user: User) -> None:
    """An account was switched off: its sessions no longer authenticate; close its live sockets too."""
    record(events.AccountDeactivated(user_id=user.pk))


def session_ended(*, user_id: int | None, session_key: str | None) -> None:
    """Someone signed out: that one session's live sockets close (a listener of SessionEnded)."""
    if user_id and session_key:
        record(events.SessionEnded(user_id=user_id, session_key=session_key))
