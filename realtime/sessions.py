"""Live sockets follow the session: who may keep an agents' socket open, and how to close it.

Services and views call the revoke functions when a session ends or a membership changes; after the
transaction commits they send a control message to groups derived here from server-side ids (the user
id, and a keyed hash of the session key, never the key itself). Each agents' socket joins those groups
and closes itself with a close code the browser acts on:

    4401  the session ended (signed out, password changed or reset, account deactivated): stop, sign in
    4403  no longer a member of the workspace: stop
    4000  the membership changed (role): reconnect now; the new socket is checked again

Revoking is best effort over the channel layer; the consumer also re-checks periodically (see
AgentConsumer.revalidate_seconds), so a lost control message only delays the close.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from workspaces.models import Membership
from workspaces.selectors import membership_for

from . import events, sender

log = logging.getLogger(__name__)

# Reasons (the `reason=` of the revoke functions).
SIGNED_OUT = "signed_out"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DEACTIVATED = "deactivated"
SESSION_EXPIRED = "session_expired"  # found by the consumer's own re-check, never passed by callers
SESSION_RENEWED = "session_renewed"  # a kept socket's old session key is gone: reconnect with the new one
MEMBERSHIP_REMOVED = "membership_removed"
ROLE_CHANGED = "role_changed"

# Close codes (the browser's static/js/inbox.js knows them).
CLOSE_SESSION_ENDED = 4401
CLOSE_NOT_MEMBER = 4403
CLOSE_RECONNECT = 4000

SESSION_REASONS = frozenset({SIGNED_OUT, PASSWORD_CHANGED, PASSWORD_RESET, DEACTIVATED, SESSION_EXPIRED})
MEMBERSHIP_REASONS = {MEMBERSHIP_REMOVED: CLOSE_NOT_MEMBER, ROLE_CHANGED: CLOSE_RECONNECT}
RECONNECT_REASONS = frozenset({ROLE_CHANGED, SESSION_RENEWED})

REVOKE = "parley.revoke"  # the consumer's handler is parley_revoke

NOTICES = {
    SIGNED_OUT: _("You signed out. Sign in again to keep working."),
    PASSWORD_CHANGED: _("Your password was changed, so this session has ended. Sign in again to keep working."),
    PASSWORD_RESET: _("Your password was changed, so this session has ended. Sign in again to keep working."),
    DEACTIVATED: _("Your session has ended. Sign in again to keep working."),
    SESSION_EXPIRED: _("Your session has ended. Sign in again to keep working."),
    MEMBERSHIP_REMOVED: _("You are no longer a member of this workspace."),
}
SIGN_IN_TEXT = _("Sign in")
WORKSPACES_TEXT = _("Go to your workspaces")


def session_tag(session_key: str) -> str:
    """A keyed hash of a session key: safe in group names and messages (the key itself never leaves)."""
    return salted_hmac("parley.realtime.session", session_key, algorithm="sha256").hexdigest()[:40]


def session_group(session_key: str) -> str:
    return tag_group(session_tag(session_key))


def tag_group(tag: str) -> str:
    """The group of the session behind a tag; the tag comes from session_tag only (hex, fixed length)."""
    if len(tag) != 40 or any(c not in "0123456789abcdef" for c in tag):
        raise ValueError("not a session tag")
    return f"session.{tag}"


def close_code(reason: str) -> int:
    if reason in SESSION_REASONS:
        return CLOSE_SESSION_ENDED
    if reason in RECONNECT_REASONS:
        return CLOSE_RECONNECT
    return MEMBERSHIP_REASONS[reason]


# ---- revoking (called by views and services) ---------------------------------------------------------


def revoke_user_sockets(*, user_id: int, keep_session_key: str | None = None, new_session_key: str | None = None,
                        reason: str) -> None:
    """After commit, close every agents' socket of this user in every workspace (code 4401).

    Sockets opened with the session `keep_session_key` stay open: a password change keeps the browser
    that made it. update_session_auth_hash() gives that session a new key, so pass the key from BEFORE
    it as keep_session_key and the one AFTER it as new_session_key: the kept sockets then follow the
    new key (a later logout of it closes them too).
    reason: SIGNED_OUT, PASSWORD_CHANGED, PASSWORD_RESET or DEACTIVATED.
    """
    if reason not in SESSION_REASONS:
        raise ValueError(f"Not a session reason: {reason!r}")
    keep = session_tag(keep_session_key) if keep_session_key else None
    renewed = session_tag(new_session_key) if keep and new_session_key else None
    message = {"type": REVOKE, "reason": reason, "keep": keep, "renewed": renewed, "workspace_id": None}
    _send_on_commit(events.user_group(user_id), message)


def revoke_session_sockets(*, session_key: str | None, reason: str = SIGNED_OUT) -> None:
    """After commit, close the agents' sockets opened with this one session (code 4401). For logout.

    Pass the key read before logout(request) flushes it; None (no session) does nothing.
    """
    if reason not in SESSION_REASONS:
        raise ValueError(f"Not a session reason: {reason!r}")
    if not session_key:
        return
    message = {"type": REVOKE, "reason": reason, "keep": None, "renewed": None, "workspace_id": None}
    _send_on_commit(session_group(session_key), message)


def revoke_membership_sockets(*, user_id: int, workspace_id: int, reason: str) -> None:
    """After commit, close this user's agents' sockets for this one workspace.

    MEMBERSHIP_REMOVED closes with 4403 (the browser stops; a reconnect is refused); ROLE_CHANGED with
    4000 (the browser reconnects at once and the new socket is checked with the new role).
    """
    if reason not in MEMBERSHIP_REASONS:
        raise ValueError(f"Not a membership reason: {reason!r}")
    message = {"type": REVOKE, "reason": reason, "keep": None, "renewed": None, "workspace_id": int(workspace_id)}
    _send_on_commit(events.user_group(user_id), message)


def _send_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(lambda: _send(group, message), robust=True)


def _send(group: str, message: dict) -> None:
    try:
        sender.group_send(group, message)
    except Exception:  # the write that ended the session must stand; the consumer's re-check closes later
        log.exception("could not revoke sockets (%s)", message["reason"])


# ---- checking (called by the consumer, at connect and periodically) ----------------------------------


class SocketRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.code = close_code(reason)


def check_socket(*, session_key: str | None, slug: str) -> Membership:
    """The membership an agents' socket with this session may follow now. Raises SocketRefused.

    Reads the session from the store afresh (not the copy the socket was opened with), so a session
    deleted or invalidated since (logout, password change: the auth hash no longer matches, the user
    deactivated) is refused. Never writes to the session.
    """
    user = _session_user(session_key)
    if user is None:
        raise SocketRefused(SESSION_EXPIRED)
    membership = membership_for(user=user, slug=slug)
    if membership is None:
        raise SocketRefused(MEMBERSHIP_REMOVED)
    return membership


def _session_user(session_key: str | None):
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # {} when missing or expired
    user_id, backend_path = data.get(SESSION_KEY), data.get(BACKEND_SESSION_KEY)
    session_hash = data.get(HASH_SESSION_KEY)
    if not user_id or backend_path not in settings.AUTHENTICATION_BACKENDS or not session_hash:
        return None
    try:
        pk = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    user = load_backend(backend_path).get_user(pk)  # None when deleted or inactive
    if user is None or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user
