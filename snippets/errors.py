from inbox.errors import InboxError


class SnippetError(InboxError):
    """A snippet rule was broken (a file refused, a snippet not usable); the message is safe to show."""
