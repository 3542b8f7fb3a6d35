"""Snippet reads: search for the composer, rendering for a conversation, the members' page.

Every read goes through Snippet.objects.for_workspace(...).usable_by(member): the workspace's snippets
and the member's own. Another workspace's snippet, or another member's personal one, is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from connectors import registry
from inbox import selectors as inbox_selectors
from media.uploads import kind_for
from workspaces.models import Membership, Workspace

from .models import Snippet, SnippetAttachment
from .rendering import RenderWarning, render_text, values_for

SEARCH_LIMIT = 20
QUERY_MAX_CHARS = 60
PREVIEW_CHARS = 90


@dataclass
class SnippetHit:
    id: int
    name: str
    shortcut: str
    preview: str
    personal: bool

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "shortcut": self.shortcut, "preview": self.preview,
                "personal": self.personal}


@dataclass
class RenderedSnippet:
    snippet: Snippet
    text: str
    warnings: list[RenderWarning]
    attachments: list[SnippetAttachment]

    def as_dict(self) -> dict:
        return {
            "id": self.snippet.pk,
            "shortcut": self.snippet.shortcut,
            "text": self.text,
            "warnings": [w.as_dict() for w in self.warnings],
            "attachments": [{"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type}
                            for a in self.attachments],
        }


def _usable(workspace: Workspace, member: Membership):
    return Snippet.objects.for_workspace(workspace).usable_by(member)


def _short(text: str) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def search_snippets(*, workspace: Workspace, member: Membership, query: str = "",
                    limit: int = SEARCH_LIMIT) -> list[SnippetHit]:
    """Snippets whose shortcut starts with, or whose name contains, the query; shortcut matches first."""
    query = " ".join(query.split())[:QUERY_MAX_CHARS].lstrip("/")
    qs = _usable(workspace, member)
    if query:
        qs = (
            qs.filter(Q(shortcut__istartswith=query) | Q(name__icontains=query))
            .annotate(rank=Case(When(shortcut__iexact=query, then=Value(0)),
                                When(shortcut__istartswith=query, then=Value(1)),
                                default=Value(2), output_field=IntegerField()))
            .order_by("rank", "shortcut", "pk")
        )
    else:
        qs = qs.order_by("shortcut", "pk")
    rows = qs.values_list("pk", "name", "shortcut", "body", "owner_id")[:limit]
    return [SnippetHit(id=pk, name=name, shortcut=shortcut, preview=_short(body), personal=owner_id is not None)
            for pk, name, shortcut, body, owner_id in rows]


def _attachments_prefetch() -> Prefetch:
    return Prefetch("attachments", queryset=SnippetAttachment.objects.order_by("pk"))


def snippet_for(*, workspace: Workspace, member: Membership, snippet_id: int) -> Snippet:
    """A snippet the member may use (workspace or own), with its attachments; else 404."""
    return get_object_or_404(_usable(workspace, member).prefetch_related(_attachments_prefetch()), pk=snippet_id)


def own_snippet_for(*, workspace: Workspace, member: Membership, snippet_id: int) -> Snippet:
    """One of the member's personal snippets (the only ones they may change); else 404."""
    qs = Snippet.objects.for_workspace(workspace).personal_of(member).prefetch_related(_attachments_prefetch())
    return get_object_or_404(qs, pk=snippet_id)


def render_for_conversation(*, workspace: Workspace, member: Membership, snippet_id: int,
                            conversation_id: int) -> RenderedSnippet:
    """The snippet's text for this conversation's contact and this member, with what the agent should check."""
    snippet = snippet_for(workspace=workspace, member=member, snippet_id=snippet_id)
    conversation = inbox_selectors.conversation_for(workspace=workspace, conversation_id=conversation_id)
    rendered = render_text(snippet.body, values=values_for(contact=conversation.contact, member=member,
                                                           workspace=workspace))
    attachments = list(snippet.attachments.all())
    warnings = list(rendered.warnings)
    capabilities = registry.get(conversation.channel.kind).capabilities
    for attachment in attachments:
        warning = channel_refusal(capabilities, attachment)
        if warning:
            warnings.append(RenderWarning("attachment", attachment.name, warning))
    return RenderedSnippet(snippet=snippet, text=rendered.text, warnings=warnings, attachments=attachments)


def channel_refusal(capabilities, attachment: SnippetAttachment) -> str:
    """Why the conversation's channel would refuse this file ("" when it accepts it)."""
    kind = kind_for(attachment.content_type)
    allowed = {"image": capabilities.image, "audio": capabilities.audio, "file": capabilities.file}[kind]
    if not allowed:
        return _("This channel does not accept files like “%(name)s”.") % {"name": attachment.name}
    if attachment.size > capabilities.max_file_bytes:
        return _("“%(name)s” is too large for this channel (at most %(mb)d MB).") % {
            "name": attachment.name, "mb": capabilities.max_file_bytes // (1024 * 1024)}
    return ""


@dataclass
class SnippetsPage:
    personal: list[Snippet]
    shared: list[Snippet]


def snippets_page(*, workspace: Workspace, member: Membership) -> SnippetsPage:
    """The member's personal snippets (editable) and the workspace's (read-only), with attachments."""
    rows = list(_usable(workspace, member).prefetch_related(_attachments_prefetch()).order_by("shortcut", "pk"))
    return SnippetsPage(personal=[s for s in rows if s.owner_id is not None],
                        shared=[s for s in rows if s.owner_id is None])


def attachment_for(*, workspace: Workspace, member: Membership, attachment_id: int) -> SnippetAttachment:
    """A file of a snippet the member may use; else 404."""
    qs = SnippetAttachment.objects.for_workspace(workspace).filter(
        Q(snippet__owner__isnull=True) | Q(snippet__owner_id=member.pk)
    )
    return get_object_or_404(qs, pk=attachment_id)


def usable_attachments(*, workspace: Workspace, member: Membership, ids: list[int]) -> list[SnippetAttachment]:
    """The files among `ids` that belong to snippets the member may use, in the order asked."""
    qs = SnippetAttachment.objects.for_workspace(workspace).filter(pk__in=ids).filter(
        Q(snippet__owner__isnull=True) | Q(snippet__owner_id=member.pk)
    )
    found = {a.pk: a for a in qs}
    return [found[i] for i in ids if i in found]

