class InboxError(Exception):
    """A rule of the inbox was broken; the message is safe to show to the member."""
