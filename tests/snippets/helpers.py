"""Snippet test helpers: snippets and files in one line."""

from __future__ import annotations

from django.core.files.base import ContentFile

from snippets.models import Snippet, SnippetAttachment
from snippets.services import demo_invoice_pdf

PDF = demo_invoice_pdf()


def make_snippet(workspace, shortcut: str = "hello", *, body: str = "Hi {{contact.first_name}}",
                 name: str | None = None, owner=None) -> Snippet:
    return Snippet.objects.create(workspace=workspace, shortcut=shortcut, name=name or shortcut.title(),
                                  body=body, owner=owner)


def make_file(snippet: Snippet, name: str = "invoice.pdf", content: bytes = PDF,
              content_type: str = "application/pdf") -> SnippetAttachment:
    attachment = SnippetAttachment(workspace=snippet.workspace, snippet=snippet, name=name,
                                   content_type=content_type, size=len(content))
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment
