from kernel.errors import ParleyError

# The inbox's rules speak the one user-facing error (media, text hygiene and snippets raise it too), so a
# view catching InboxError also catches "this file is too large" from the media package.
InboxError = ParleyError

__all__ = ["InboxError"]
