"""Snippet writes: members' personal snippets, files (sniffed), the files a reply carries, demo data."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from connectors import registry
from inbox.errors import InboxError
from inbox.models import Conversation
from kernel.text import clean_line, clean_text
from media import uploads
from media.uploads import PreparedFile
from workspaces.models import Membership, Workspace

from . import selectors
from .errors import SnippetError
from .models import BODY_MAX_CHARS, SHORTCUT_MAX_CHARS, Snippet, SnippetAttachment, shortcut_validator

MAX_FILES_PER_SNIPPET = uploads.SNIPPET_MAX_FILES
MAX_FILES_PER_REPLY = 10


# -- files -------------------------------------------------------------------------------------------------


def check_upload(*, upload) -> tuple[str, str, int]:
    """(clean name, sniffed content type, size) of an uploaded file, or SnippetError naming the limit.

    The rules are the shared upload policy's (media.uploads.for_snippets).
    """
    try:
        prepared = uploads.prepare_file(upload, policy=uploads.for_snippets())
    except InboxError as exc:
        raise SnippetError(str(exc)) from None
    return prepared.name, prepared.content_type, prepared.size


def snippet_attach_file(*, workspace: Workspace, snippet: Snippet, upload) -> SnippetAttachment:
    """Store a checked file for a snippet under a random name (see snippet_attachment_path)."""
    if snippet.workspace_id != workspace.pk:
        raise SnippetError(_("This snippet belongs to another workspace."))
    name, content_type, size = check_upload(upload=upload)
    attachment = SnippetAttachment(workspace=workspace, snippet=snippet, name=name, content_type=content_type,
                                   size=size)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


# -- members' personal snippets ----------------------------------------------------------------------------


def _clean_fields(name: str, shortcut: str, body: str) -> dict[str, str]:
    fields = {
        "name": clean_line(name, limit=120),
        "shortcut": clean_line(shortcut, limit=60).lstrip("/").lower(),
        "body": clean_text(body, limit=BODY_MAX_CHARS, field=_("text")),
    }
    if not all(fields.values()):
        raise SnippetError(_("A snippet needs a name, a shortcut and a text."))
    try:
        shortcut_validator(fields["shortcut"])
    except ValidationError as exc:
        raise SnippetError(" ".join(exc.messages)) from None
    if len(fields["shortcut"]) > SHORTCUT_MAX_CHARS:
        raise SnippetError(_("The shortcut is too long (at most %(limit)d characters).")
                           % {"limit": SHORTCUT_MAX_CHARS})
    return fields


def _save(snippet: Snippet) -> None:
    try:
        with transaction.atomic():
            snippet.save()
    except IntegrityError:
        raise SnippetError(_("You already have a snippet with this shortcut.")) from None


@transaction.atomic
def snippet_create(*, workspace: Workspace, member: Membership, name: str, shortcut: str, body: str,
                   files: list | tuple = ()) -> Snippet:
    """A personal snippet of `member`, with optional files."""
    if member.workspace_id != workspace.pk:
        raise SnippetError(_("That person is not a member of this workspace."))
    if len(files) > MAX_FILES_PER_SNIPPET:
        raise SnippetError(_("A snippet has at most %(n)d files.") % {"n": MAX_FILES_PER_SNIPPET})
    snippet = Snippet(workspace=workspace, owner=member, **_clean_fields(name, shortcut, body))
    _save(snippet)
    for upload in files:
        snippet_attach_file(workspace=workspace, snippet=snippet, upload=upload)
    return snippet


@transaction.atomic
def snippet_update(*, workspace: Workspace, member: Membership, snippet_id: int, name: str, shortcut: str,
                   body: str, files: list | tuple = (), remove_ids: list[int] | tuple = ()) -> Snippet:
    """Change one of the member's personal snippets: its fields, new files, files to remove."""
    snippet = selectors.own_snippet_for(workspace=workspace, member=member, snippet_id=snippet_id)
    for key, value in _clean_fields(name, shortcut, body).items():
        setattr(snippet, key, value)
    _save(snippet)
    kept = [a for a in snippet.attachments.all() if a.pk not in set(remove_ids)]
    if len(kept) + len(files) > MAX_FILES_PER_SNIPPET:
        raise SnippetError(_("A snippet has at most %(n)d files.") % {"n": MAX_FILES_PER_SNIPPET})
    if remove_ids:
        for attachment in SnippetAttachment.objects.for_workspace(workspace).filter(snippet=snippet,
                                                                                   pk__in=remove_ids):
            attachment.delete()  # the stored file goes after commit (see models)
    for upload in files:
        snippet_attach_file(workspace=workspace, snippet=snippet, upload=upload)
    return snippet


@transaction.atomic
def snippet_delete(*, workspace: Workspace, member: Membership, snippet_id: int) -> None:
    """Delete one of the member's personal snippets (workspace snippets are changed in the admin)."""
    snippet = selectors.own_snippet_for(workspace=workspace, member=member, snippet_id=snippet_id)
    snippet.delete()


# -- replies -----------------------------------------------------------------------------------------------


def _parse_ids(values: list[str] | tuple) -> list[int]:
    ids: list[int] = []
    for value in values:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise SnippetError(_("That snippet file is not available.")) from None
        if number not in ids:
            ids.append(number)
    return ids


def snippet_files_for_reply(*, workspace: Workspace, member: Membership, conversation: Conversation,
                            attachment_ids: list[str] | tuple) -> list[PreparedFile]:
    """The snippet files a reply carries (posted as `snippet_attachment` ids), ready for send_reply.

    Each one must belong to a snippet the member may use in this workspace (the workspace's or their
    own) and suit the conversation's channel; otherwise SnippetError and nothing is sent.
    """
    ids = _parse_ids(attachment_ids)
    if not ids:
        return []
    if len(ids) > MAX_FILES_PER_REPLY:
        raise SnippetError(_("Attach at most %(n)d files to one message.") % {"n": MAX_FILES_PER_REPLY})
    if conversation.workspace_id != workspace.pk:
        raise SnippetError(_("That snippet file is not available."))
    attachments = selectors.usable_attachments(workspace=workspace, member=member, ids=ids)
    if len(attachments) != len(ids):
        raise SnippetError(_("That snippet file is not available."))
    capabilities = registry.get(conversation.channel.kind).capabilities
    prepared = []
    for attachment in attachments:
        refusal = selectors.channel_refusal(capabilities, attachment)
        if refusal:
            raise SnippetError(refusal)
        content = File(attachment.file.open("rb"), name=attachment.name)
        prepared.append(PreparedFile(name=attachment.name, content_type=attachment.content_type,
                                     size=attachment.size, content=content))
    return prepared


# -- demo data ---------------------------------------------------------------------------------------------

DEMO_SNIPPETS = [
    ("hello", "Greeting",
     "Hi {{contact.first_name}}, I'm {{agent.first_name}} from {{workspace.name}}. How can I help?"),
    ("invoice", "Invoice attached",
     "Hi {{contact.first_name}}, here is your invoice (attached). Anything else I can help with? "
     "— {{agent.first_name}}, {{workspace.name}}"),
]


def demo_invoice_pdf(title: str = "Invoice 2024-0042") -> bytes:
    """A small, valid one-page PDF (generated: no binary in the repository)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@transaction.atomic
def ensure_demo_snippets(workspace: Workspace) -> list[Snippet]:
    """The demo's workspace snippets /hello and /invoice (with a PDF), created once: safe to call again."""
    snippets = []
    for shortcut, name, body in DEMO_SNIPPETS:
        snippet, _created = Snippet.objects.get_or_create(
            workspace=workspace, owner=None, shortcut=shortcut, defaults={"name": name, "body": body},
        )
        snippets.append(snippet)
    invoice = snippets[1]
    if not invoice.attachments.exists():
        upload = ContentFile(demo_invoice_pdf(), name="invoice-2024-0042.pdf")
        snippet_attach_file(workspace=workspace, snippet=invoice, upload=upload)
    return snippets
