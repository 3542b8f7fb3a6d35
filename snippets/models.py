"""Snippets: reusable replies with variables and optional attachments.

A snippet with no owner is a workspace snippet (managed by admins in the admin); a snippet with an
owner is that member's personal snippet (managed on the members' page). A member may use the
workspace's snippets and their own, never another member's: `Snippet.objects.usable_by(member)`.
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from workspaces.models import Membership, TenantModel, TenantQuerySet

SHORTCUT_MAX_CHARS = 40
BODY_MAX_CHARS = 4096  # a message's limit (kernel.text.MESSAGE_MAX_CHARS)

shortcut_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    _("Use lowercase letters, digits, “-” and “_”, starting with a letter or digit (e.g. “hello”)."),
)


class SnippetQuerySet(TenantQuerySet):
    def usable_by(self, member: Membership) -> SnippetQuerySet:
        """The workspace's snippets plus the member's own personal ones (call after for_workspace)."""
        return self.filter(Q(owner__isnull=True) | Q(owner_id=member.pk))

    def shared(self) -> SnippetQuerySet:
        return self.filter(owner__isnull=True)

    def personal_of(self, member: Membership) -> SnippetQuerySet:
        return self.filter(owner_id=member.pk)


class Snippet(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    shortcut = models.CharField(
        _("shortcut"), max_length=SHORTCUT_MAX_CHARS, validators=[shortcut_validator],
        help_text=_("Typed after “/” in the composer, e.g. “hello” for /hello."),
    )
    body = models.TextField(_("text"), max_length=BODY_MAX_CHARS)
    owner = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="snippets",
        verbose_name=_("owner"), help_text=_("Empty for a workspace snippet; a member for a personal one."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SnippetQuerySet.as_manager()

    class Meta:
        verbose_name = _("snippet")
        verbose_name_plural = _("snippets")
        ordering = ["shortcut"]
        constraints = [
            # NULL owners are distinct in SQL, so workspace snippets need their own partial constraint.
            models.UniqueConstraint(
                fields=["workspace", "shortcut"], condition=Q(owner__isnull=True),
                name="snippet_unique_workspace_shortcut",
                violation_error_message=_("This workspace already has a snippet with this shortcut."),
            ),
            models.UniqueConstraint(
                fields=["workspace", "owner", "shortcut"], condition=Q(owner__isnull=False),
                name="snippet_unique_personal_shortcut",
                violation_error_message=_("You already have a snippet with this shortcut."),
            ),
        ]
        indexes = [models.Index(fields=["workspace", "shortcut"], name="snippet_ws_shortcut")]

    def __str__(self) -> str:
        return f"/{self.shortcut} · {self.name}"

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None


def snippet_attachment_path(instance: SnippetAttachment, filename: str) -> str:
    # Random storage name: never a path or name the uploader chose.
    return f"snippets/{instance.workspace_id}/{uuid.uuid4().hex}"


class SnippetAttachment(TenantModel):
    snippet = models.ForeignKey(Snippet, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("snippet"))
    file = models.FileField(_("file"), upload_to=snippet_attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("snippet attachment")
        verbose_name_plural = _("snippet attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=SnippetAttachment)
def _delete_stored_file(sender, instance: SnippetAttachment, **kwargs) -> None:
    """A deleted attachment's file goes too, once the deletion is committed (admin, page or cascade)."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
