"""Contacts reads: search and the contact page, each with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404

from inbox.models import Conversation
from workspaces.models import Workspace

from .models import Contact, ContactIdentity

PAGE = 50


@dataclass
class ContactPage:
    rows: list[Contact]
    next_cursor: int | None


def search_contacts(*, workspace: Workspace, query: str = "", before_id: int | None = None,
                    limit: int = PAGE) -> ContactPage:
    """Newest contacts first; `query` matches a substring of name, phone, email or an external id."""
    qs = Contact.objects.for_workspace(workspace)
    query = query.strip()
    if query:
        identity_match = ContactIdentity.objects.filter(contact=OuterRef("pk"), external_id__icontains=query)
        qs = qs.filter(
            Q(name__icontains=query) | Q(phone__icontains=query) | Q(email__icontains=query)
            | Exists(identity_match)
        )
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(
        qs.order_by("-id").prefetch_related(
            Prefetch("identities", queryset=ContactIdentity.objects.select_related("channel").order_by("id"))
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ContactPage(rows=rows, next_cursor=rows[-1].pk if more and rows else None)


def contact_for(*, workspace: Workspace, contact_id: int) -> Contact:
    return get_object_or_404(
        Contact.objects.for_workspace(workspace).prefetch_related(
            Prefetch("identities", queryset=ContactIdentity.objects.select_related("channel").order_by("id")),
        ),
        pk=contact_id,
    )


def contact_conversations(*, workspace: Workspace, contact: Contact) -> list[Conversation]:
    """Every conversation of the contact, newest first, with its closing note."""
    return list(
        Conversation.objects.for_workspace(workspace).filter(contact=contact)
        .select_related("channel", "assignee__user", "closing_note__category", "closing_note__author__user")
        .order_by("-opened_at", "-id")
    )
