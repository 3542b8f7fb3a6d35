"""Channels, conversations, messages, attachments and closing notes."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workspaces.models import TenantModel, TenantQuerySet


def _token() -> str:
    return secrets.token_urlsafe(32)


class Channel(TenantModel):
    """One connected account of one kind, with its credentials."""

    class Kind(models.TextChoices):
        WEBCHAT = "webchat", _("Web chat")
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        MESSENGER = "messenger", _("Messenger")
        API = "api", _("API")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    token = models.CharField(_("inbound token"), max_length=200, default=_token)
    secret = models.CharField(_("signing secret"), max_length=200, default=_token)
    webhook_url = models.URLField(_("outbound webhook URL"), max_length=500, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(TenantQuerySet):
    def open(self) -> ConversationQuerySet:
        return self.filter(status=Conversation.Status.OPEN)


class Conversation(TenantModel):
    """One episode with a contact: open → closed. At most one open conversation per contact."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_conversations", verbose_name=_("assignee"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"))
    last_message_preview = models.CharField(max_length=140, blank=True)
    unread_count = models.PositiveIntegerField(_("unread messages"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(status="open"), name="one_open_conversation_per_contact"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "-last_activity_at", "-id"], name="conv_queue"),
            models.Index(
                fields=["workspace", "status", "assignee", "-last_activity_at", "-id"], name="conv_queue_assignee"
            ),
            # The review page and its export: closed conversations by close time (keyset on closed_at, id).
            models.Index(fields=["workspace", "-closed_at", "-id"], condition=Q(status="closed"), name="conv_closed"),
            models.Index(fields=["workspace", "opened_at"], name="conv_opened"),  # reports: opened per day
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Message(TenantModel):
    class Direction(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Outgoing")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VOICE = "voice", _("Voice note")
        AUDIO = "audio", _("Audio")
        FILE = "file", _("File")
        IMAGE = "image", _("Image")
        SURVEY = "survey", _("Survey")
        EVENT = "event", _("Event")
        NOTE = "note", _("Internal note")

    class Sender(models.TextChoices):
        CONTACT = "contact", _("Contact")
        MEMBER = "member", _("Member")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        RECEIVED = "received", _("Received")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    sender_type = models.CharField(max_length=8, choices=Sender.choices)
    sender = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    failure_reason = models.CharField(max_length=500, blank=True)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Outbound delivery (inbox.services.delivery): when the next attempt is due (None: as soon as queued),
    # and the claim of the attempt under way. Only the holder of a live claim sends or records a result.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=Q(external_id__isnull=False),
                name="message_external_id_unique_per_channel",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation"),
            models.Index(fields=["status", "created_at"], name="message_status",
                         condition=Q(status="queued")),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE

    @property
    def shown_attachments(self) -> list[Attachment]:
        """What members see: the files as sent or received, not the per-channel delivery copies."""
        return [a for a in self.attachments.all() if a.purpose == Attachment.Purpose.ORIGINAL]


class DeliveredPart(TenantModel):
    """One part of an outbound message its provider accepted (the text, a chunk of it, one file).

    Written as each part is accepted, under the sender's claim, so a retry after a failure half-way
    sends only the rest: the contact never gets the first part twice.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivered_parts")
    key = models.CharField(max_length=64)  # the connector's name for the part: "text", "text:2000", "file:12"
    external_id = models.CharField(max_length=255, blank=True)  # the provider's id for it, if it gave one
    accepted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delivered part")
        verbose_name_plural = _("delivered parts")
        constraints = [models.UniqueConstraint(fields=["message", "key"], name="delivered_part_once")]

    def __str__(self) -> str:
        return f"{self.key} of #{self.message_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random storage name: never a path or name the uploader chose.
    return f"attachments/{instance.workspace_id}/{uuid.uuid4().hex}"


class Attachment(TenantModel):
    class Purpose(models.TextChoices):
        ORIGINAL = "original", _("Original")
        DELIVERY = "delivery", _("Converted for the channel")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.ORIGINAL)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="variants")
    file = models.FileField(upload_to=attachment_path, blank=True)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    source_url = models.URLField(max_length=1000, blank=True)
    duration = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class ClosingCategory(TenantModel):
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("closing category")
        verbose_name_plural = _("closing categories")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="closing_category_unique")]

    def __str__(self) -> str:
        return self.name


class ClosingNote(TenantModel):
    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="closing_note")
    category = models.ForeignKey(ClosingCategory, on_delete=models.PROTECT, verbose_name=_("category"))
    summary = models.TextField(_("summary"), max_length=4000)
    author = models.ForeignKey("workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("closing note")
        verbose_name_plural = _("closing notes")

    def __str__(self) -> str:
        return f"{self.category}: {self.summary[:40]}"


class ConversationEvent(TenantModel):
    """The conversation's log: who opened, assigned, closed, reopened it, which bot or workflow acted.

    Written by the services in the same transaction as the change itself; the history shows each row as a
    discreet line between the messages, and supervisors and reports read it later.
    """

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        HANDED_OVER = "handed_over", _("Handed over by the bot")
        SURVEY_SENT = "survey_sent", _("Survey sent")
        SURVEY_ANSWERED = "survey_answered", _("Survey answered")
        WAITING = "waiting", _("Waiting for an agent")  # a workflow found nobody to assign it to yet

    class Via(models.TextChoices):
        MEMBER = "member", _("A member")
        REPLY = "reply", _("On reply")
        CONTACT = "contact", _("The contact")
        WORKFLOW = "workflow", _("A workflow")
        BOT = "bot", _("The bot")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    via = models.CharField(_("by"), max_length=8, choices=Via.choices, default=Via.MEMBER)
    actor = models.ForeignKey("workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("actor"))
    assignee = models.ForeignKey("workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("assignee"))
    # A plain id: workflows are a feature app the inbox never imports (its run log names the workflow).
    workflow_id = models.PositiveBigIntegerField(_("workflow"), null=True, blank=True)
    workflow_name = models.CharField(_("workflow name"), max_length=120, blank=True)  # as it was named then
    closing_note = models.ForeignKey(ClosingNote, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("closing note"))
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="conv_event_history"),
            models.Index(fields=["workspace", "kind", "created_at"], name="conv_event_kind"),  # reports: per day
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.conversation_id}"

    @property
    def is_log_entry(self) -> bool:
        """The history template tells these rows from messages by it."""
        return True
