"""Contacts (customers) and their identities on channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from workspaces.models import TenantModel


class Contact(TenantModel):
    """A customer. Every past conversation stays reachable from the contact."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    tags = models.ManyToManyField("Tag", through="ContactTag", blank=True, related_name="contacts",
                                  verbose_name=_("tags"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["workspace", "name"], name="contact_ws_name")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.phone or self.email or str(_("Unknown contact"))

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.name else ""


class ContactIdentity(TenantModel):
    """(channel, external id) → contact: how a channel's sender is recognised."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.ForeignKey("inbox.Channel", on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(_("external id"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="identity_unique_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id}"


class Tag(TenantModel):
    """A label for contacts ("vip", "wholesale"), per workspace; workflows add, remove and react to them."""

    name = models.CharField(_("name"), max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name",
                                               violation_error_message=_("This workspace already has this tag."))]

    def __str__(self) -> str:
        return self.name


class ContactTag(TenantModel):
    """A tag on a contact. Its own row (and id), so adding a tag again later is a new event for workflows."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="taggings")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact tag")
        verbose_name_plural = _("contact tags")
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_once")]

    def __str__(self) -> str:
        return f"{self.tag_id}@{self.contact_id}"
