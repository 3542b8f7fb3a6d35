"""Models for this feature arrive with its issue."""
