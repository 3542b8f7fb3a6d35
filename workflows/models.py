"""Workflows: a trigger, conditions that must all hold, ordered steps — and the log of every run.

Admins write them in the (workspace-scoped) admin; the engine (workflows.services.engine) runs them in
Celery tasks when the domain events they are triggered by are recorded (config/listeners.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel
from workspaces.models import TenantModel


class Workflow(TenantModel):
    class Trigger(models.TextChoices):
        CONVERSATION_OPENED = "conversation_opened", _("a conversation is opened")
        MESSAGE_RECEIVED = "message_received", _("a message is received")
        CONVERSATION_CLOSED = "conversation_closed", _("a conversation is closed")
        CONVERSATION_UNASSIGNED = "conversation_unassigned", _("a conversation is unassigned")
        CONTACT_TAGGED = "contact_tagged", _("a tag is added to a contact")
        MEMBER_AVAILABLE = "member_available", _("a member becomes available")

    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=True)
    trigger = models.CharField(_("when"), max_length=32, choices=Trigger.choices)
    trigger_words = models.CharField(
        _("containing"), max_length=500, blank=True,
        help_text=_("Only for “a message is received”: run only when the message contains one of these words "
                    "(separated by commas). Empty: every message."))
    # RESTRICT: deleting a tag a workflow names must not silently widen what the workflow does.
    trigger_tag = models.ForeignKey(
        "contacts.Tag", null=True, blank=True, on_delete=models.RESTRICT, related_name="+", verbose_name=_("tag"),
        help_text=_("Only for “a tag is added to a contact”: this tag only. Empty: any tag."))
    position = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Workflows with the same trigger run in this order."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="workflow_unique_name",
                                               violation_error_message=_("This workspace already has a "
                                                                         "workflow with this name."))]
        indexes = [models.Index(fields=["workspace", "trigger"], name="workflow_ws_trigger",
                                condition=Q(enabled=True))]

    def __str__(self) -> str:
        return self.name


class Condition(TenantModel):
    """One condition of a workflow; all of them must hold."""

    class Kind(models.TextChoices):
        CHANNEL_IS = "channel_is", _("the channel is")
        CHANNEL_IS_NOT = "channel_is_not", _("the channel is not")
        CONTACT_HAS_TAG = "contact_has_tag", _("the contact has the tag")
        MESSAGE_CONTAINS = "message_contains", _("the message contains")
        WITHIN_HOURS = "within_business_hours", _("it is within business hours")
        OUTSIDE_HOURS = "outside_business_hours", _("it is outside business hours")
        UNASSIGNED = "unassigned", _("the conversation is unassigned")

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(_("condition"), max_length=32, choices=Kind.choices)
    channel_kind = models.CharField(_("channel"), max_length=16, choices=Channel.Kind.choices, blank=True)
    tag = models.ForeignKey("contacts.Tag", null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
                            verbose_name=_("tag"))
    words = models.CharField(_("words"), max_length=500, blank=True,
                             help_text=_("Any of these words (separated by commas), in any case."))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Step(TenantModel):
    """One step of a workflow, in order. Which fields count depends on the kind (the admin's form checks)."""

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("assign")
        SEND_MESSAGE = "send_message", _("send a message")
        SEND_SURVEY = "send_survey", _("send a survey")
        ADD_TAG = "add_tag", _("add the tag")
        REMOVE_TAG = "remove_tag", _("remove the tag")
        ADD_COMMENT = "add_comment", _("add an internal comment")
        CLOSE = "close", _("close the conversation")
        WAIT = "wait", _("wait")

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("by round robin")
        FEWEST_OPEN = "fewest_open", _("to whoever has the fewest open conversations")
        PREVIOUS = "previous_assignee", _("to the contact's previous assignee")
        SPECIFIC = "specific", _("to a specific member")

    class Fallback(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("by round robin")
        FEWEST_OPEN = "fewest_open", _("to whoever has the fewest open conversations")

    class Unit(models.TextChoices):
        SECONDS = "seconds", _("seconds")
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    kind = models.CharField(_("then"), max_length=16, choices=Kind.choices)
    # assign
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices, blank=True)
    fallback = models.CharField(_("otherwise"), max_length=20, choices=Fallback.choices, blank=True)
    # A member who leaves leaves the step without anyone (it then waits: see services.assign.pick); a team or a
    # tag in use cannot be deleted — "among Support" must never quietly become "among everyone".
    member = models.ForeignKey("workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("member"))
    team = models.ForeignKey("workspaces.Team", null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
                             verbose_name=_("among"))
    online_only = models.BooleanField(_("only members who are online"), default=True)
    capacity = models.PositiveSmallIntegerField(_("at most open conversations each"), null=True, blank=True)
    timeout_minutes = models.PositiveSmallIntegerField(_("reassign after minutes without an answer"), null=True,
                                                       blank=True)
    # send a message, add an internal comment, close (the summary)
    text = models.TextField(_("text"), blank=True, max_length=4096)
    snippet = models.ForeignKey("snippets.Snippet", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("snippet"), limit_choices_to={"owner__isnull": True})
    # send a survey
    survey = models.ForeignKey("surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("survey"), limit_choices_to={"is_active": True})
    # tags
    tag = models.ForeignKey("contacts.Tag", null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
                            verbose_name=_("tag"))
    # close
    category = models.ForeignKey("inbox.ClosingCategory", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("category"))
    # wait
    duration = models.PositiveIntegerField(_("for"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.MINUTES, blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def wait_seconds(self) -> int:
        return int(self.duration or 0) * self.UNIT_SECONDS.get(self.unit or "minutes", 60)


class WorkflowRun(TenantModel):
    """One run of a workflow for one event — at most one per (workflow, event), so a redelivered task never
    runs it twice. Shows what was checked and what each step did; read-only in the admin."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        WAITING = "waiting", _("Waiting (a wait step)")
        QUEUED = "queued", _("Waiting for an agent")
        HELD = "held", _("Waiting for the bot")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Conditions not met")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    PAUSED = (State.WAITING, State.QUEUED, State.HELD)

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    event_key = models.CharField(_("event"), max_length=160)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Workflow.Trigger.choices)
    conversation = models.ForeignKey("inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("conversation"))
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("contact"))
    message_id = models.PositiveBigIntegerField(null=True, blank=True)  # the message that triggered it
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    next_step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resume_at = models.DateTimeField(_("resumes at"), null=True, blank=True)
    checks = models.JSONField(_("conditions"), default=list, blank=True)  # [{"text", "passed"}]
    log = models.JSONField(_("steps"), default=list, blank=True)  # [{"step", "text", "ok", "at"}]
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("workflow run")
        verbose_name_plural = _("workflow runs")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workflow", "event_key"], name="workflow_run_once")]
        indexes = [
            models.Index(fields=["conversation", "state"], name="workflow_run_paused",
                         condition=Q(state__in=["waiting", "queued", "held"])),
            models.Index(fields=["workspace", "-created_at"], name="workflow_run_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id}:{self.event_key}"


class WaitingConversation(TenantModel):
    """A conversation an assign step could give to nobody: it is assigned as soon as someone qualifies,
    the one waiting longest first (workflows.services.assign.drain)."""

    conversation = models.OneToOneField("inbox.Conversation", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    class Meta:
        verbose_name = _("conversation waiting for an agent")
        verbose_name_plural = _("conversations waiting for an agent")
        indexes = [models.Index(fields=["workspace", "since", "id"], name="waiting_oldest_first")]

    def __str__(self) -> str:
        return f"#{self.conversation_id}"


class RoutingState(TenantModel):
    """One row per workspace: its lock serializes automatic assignment (so capacity is never exceeded and
    round robin stays fair under concurrency) and it keeps each assign step's round-robin position."""

    cursors = models.JSONField(default=dict, blank=True)  # {step id: id of the member assigned last}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="routing_state_per_workspace")]

    def __str__(self) -> str:
        return f"routing {self.workspace_id}"
