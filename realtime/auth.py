"""Websocket authentication: the Django session, as for pages."""

from channels.auth import AuthMiddlewareStack


def SessionAuthStack(inner):  # noqa: N802 - reads like the Channels stacks it wraps
    return AuthMiddlewareStack(inner)
