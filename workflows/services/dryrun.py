"""The dry run: what a workflow would do on a conversation now — with no side effects at all.

It reads the same facts and asks the same steps (with dry=True) as a real run, so its answer is the engine's:
nothing is written (no run, no job, no lock, no round-robin move), assigned, tagged or sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import Conversation, Message
from workspaces.models import Workspace

from .. import selectors
from ..models import Workflow, WorkflowRun
from ..sentences import step_sentence, trigger_sentence, words_of, workflow_sentence
from . import conditions as checks
from .steps import STEP_ERRORS, StepContext, run_step

T = Workflow.Trigger


@dataclass
class DryStep:
    what: str
    result: str
    runs: bool = True
    ok: bool = True


@dataclass
class DryReport:
    workflow: Workflow
    sentence: str
    trigger: str
    triggers: bool
    trigger_note: str = ""
    checks: list[checks.Check] = field(default_factory=list)
    steps: list[DryStep] = field(default_factory=list)

    @property
    def would_run(self) -> bool:
        return self.triggers and all(c.passed for c in self.checks)


def _message(conversation: Conversation, trigger: str) -> Message | None:
    inbound = Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
    if trigger == T.MESSAGE_RECEIVED:
        return inbound.order_by("-id").only("pk", "body").first()
    return inbound.order_by("id").only("pk", "body").first()


def _trigger(workflow: Workflow, conversation: Conversation, message: Message | None) -> tuple[bool, str]:
    trigger = workflow.trigger
    if not workflow.enabled:
        return False, _("The workflow is disabled: it runs on nothing until it is enabled.")
    if trigger == T.CONVERSATION_OPENED:
        return True, _("As when it was opened, with its first message.")
    if trigger == T.MESSAGE_RECEIVED:
        if message is None:
            return False, _("The conversation has no message from the contact.")
        words = words_of(workflow.trigger_words)
        if words and not checks.contains(message.body, words):
            return False, _("Its last message contains none of the words.")
        return True, _("As when its last message from the contact arrived.")
    if trigger == T.CONVERSATION_CLOSED:
        return True, _("As if it were closed now.")
    if trigger == T.CONVERSATION_UNASSIGNED:
        return True, _("As if it were unassigned now.")
    if trigger == T.CONTACT_TAGGED:
        return True, _("As if the tag were added to its contact now.")
    if trigger == T.MEMBER_AVAILABLE:
        if not conversation.is_open or conversation.assignee_id is not None:
            return False, _("Only open, unassigned conversations are looked at when a member becomes available.")
        return True, _("As if a member became available now.")
    return False, ""


def dry_run(*, workspace: Workspace, workflow: Workflow, conversation: Conversation) -> DryReport:
    """What `workflow` would do on `conversation` now (read only)."""
    conditions = selectors.ordered_conditions(workflow)
    steps = selectors.ordered_steps(workflow)
    message = _message(conversation, workflow.trigger)
    triggers, note = _trigger(workflow, conversation, message)
    report = DryReport(workflow=workflow, sentence=workflow_sentence(workflow, conditions, steps),
                       trigger=trigger_sentence(workflow), triggers=triggers, trigger_note=note)
    facts = checks.Facts(workspace=workspace, conversation=conversation, contact_id=conversation.contact_id,
                         message_text=message.body if message else None, now=timezone.now())
    report.checks = checks.check_all(conditions, facts)
    runs = report.would_run
    # An unsaved run stands in for the real one: the steps read its workflow, nothing saves it.
    run = WorkflowRun(workspace=workspace, workflow=workflow, trigger=workflow.trigger, conversation=conversation,
                      contact_id=conversation.contact_id)
    paused = False
    for step in steps:
        if not runs:
            report.steps.append(DryStep(step_sentence(step), _("Would not run."), runs=False))
            continue
        if paused:
            report.steps.append(DryStep(step_sentence(step), _("Would run after that, as things are then.")))
            continue
        ctx = StepContext(workspace=workspace, run=run, step=step, conversation_id=conversation.pk,
                          contact_id=conversation.contact_id, dry=True)
        try:
            outcome = run_step(ctx)
        except STEP_ERRORS as exc:
            report.steps.append(DryStep(step_sentence(step), str(exc), ok=False))
            runs = False
            continue
        report.steps.append(DryStep(step_sentence(step), outcome.text, ok=outcome.ok))
        paused = outcome.pause is not None
    return report
