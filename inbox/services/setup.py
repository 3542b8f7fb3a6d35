"""Defaults every workspace starts with."""

from django.db import transaction

from inbox.models import ClosingCategory
from workspaces.models import Workspace

DEFAULT_CLOSING_CATEGORIES = ["Resolved", "Sale", "Complaint", "Spam", "No reply needed"]


@transaction.atomic
def workspace_ensure_defaults(*, workspace: Workspace) -> None:
    """Create the default closing categories once (admins edit them afterwards)."""
    if ClosingCategory.objects.for_workspace(workspace).exists():
        return
    ClosingCategory.objects.bulk_create(
        [ClosingCategory(workspace=workspace, name=name, position=i)
         for i, name in enumerate(DEFAULT_CLOSING_CATEGORIES)]
    )
