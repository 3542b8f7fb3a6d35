"""The one user-facing error: a rule was broken, and the message is safe to show to the person."""


class ParleyError(Exception):
    """Raised by services (inbox, media, snippets…) for a refusal the caller shows as is (a 400 with the
    reason, a form error). Each domain may name it its own way (`inbox.errors.InboxError`)."""
