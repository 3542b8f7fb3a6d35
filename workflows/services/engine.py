"""The engine: domain events in (workflows.tasks.handle_event, enqueued by config/listeners.py), runs out.

- Each run is idempotent per (workflow, event): its WorkflowRun row is unique on (workflow, event_key) and is
  written in the same transaction as everything the run's steps change, so a redelivered task finds the row
  and does nothing, and a run that broke half-way left nothing behind.
- Loop guard: an event a workflow caused (it carries `workflow_id`) triggers no workflow.
- A wait step stores where the run stands and enqueues its resumption with a countdown through kernel.jobs
  (durable: the sweep republishes a lost one); closing the conversation cancels it.
- Assignment holds the workspace's routing lock, taken first (workflows.services.assign).
- While the chatbot owns a conversation (settings.PARLEY_BOT_HOLDS_CONVERSATION names a function
  `(workspace=, conversation_id=) -> bool`; unset until the chatbot exists), workflows that assign and are
  triggered by "conversation opened" are held, and run when ConversationHandedOver is recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from inbox.models import Conversation, Message
from kernel import events as e
from kernel import jobs
from workspaces.models import Workspace

from .. import selectors
from ..models import Step, WaitingConversation, Workflow, WorkflowRun
from ..sentences import step_sentence, words_of
from . import assign as assigning
from . import conditions as checks
from .steps import STEP_ERRORS, StepContext, run_step

log = logging.getLogger(__name__)

T = Workflow.Trigger
EVENT_TYPES = {cls.__name__: cls for cls in (
    e.ConversationOpened, e.MessageReceived, e.ConversationClosed, e.ConversationAssigned, e.ContactTagged,
    e.MemberAvailable, e.ConversationHandedOver)}
MEMBER_AVAILABLE_BATCH = 100  # unassigned conversations one "member becomes available" run looks at


# ---- events → triggers ----------------------------------------------------------------------------------

def trigger_of(event: object) -> str | None:
    if isinstance(event, e.ConversationOpened):
        return T.CONVERSATION_OPENED
    if isinstance(event, e.MessageReceived):
        return T.MESSAGE_RECEIVED
    if isinstance(event, e.ConversationClosed):
        return T.CONVERSATION_CLOSED
    if isinstance(event, e.ConversationAssigned) and event.assignee_id is None and event.previous_assignee_id:
        return T.CONVERSATION_UNASSIGNED
    if isinstance(event, e.ContactTagged):
        return T.CONTACT_TAGGED
    if isinstance(event, e.MemberAvailable):
        return T.MEMBER_AVAILABLE
    return None


def caused_by_workflow(event: object) -> bool:
    """The loop guard: what a workflow's step did triggers no workflow."""
    return getattr(event, "workflow_id", None) is not None


def _needs_upkeep(event: object) -> bool:
    """Events that free capacity, bring someone online, or end a conversation's waits (the waiting queue)."""
    if isinstance(event, e.ConversationAssigned):
        # A workflow assigning an unassigned conversation frees nobody's capacity and ends no wait it did not end.
        return event.previous_assignee_id is not None or event.workflow_id is None
    return isinstance(event, (e.ConversationClosed, e.MemberAvailable))


def wants(event: object) -> bool:
    """Does this event need the engine at all? Asked in the recording transaction: no query, a cached profile."""
    if isinstance(event, e.ConversationHandedOver):
        return True
    try:
        profile = selectors.profile(event.workspace_id)
    except Exception:  # the cache or the database hiccuped: never break the write; let the task decide
        log.warning("workflows: could not read the profile of workspace %s", event.workspace_id, exc_info=True)
        return True
    trigger = trigger_of(event)
    if trigger in profile.triggers and not caused_by_workflow(event):
        return True
    return profile.upkeep and _needs_upkeep(event)


# ---- what a run is about --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    key: str
    conversation_id: int | None
    contact_id: int | None
    message_id: int | None = None
    message_text: str | None = None


def _first_inbound(conversation_id: int) -> Message | None:
    return (Message.objects.filter(conversation_id=conversation_id, direction=Message.Direction.IN)
            .order_by("id").only("pk", "body").first())


def _subjects(workspace: Workspace, event: object) -> list[Subject]:
    ws = workspace.pk
    if isinstance(event, e.ConversationOpened):
        first = _first_inbound(event.conversation_id)
        return [Subject(f"opened:{event.conversation_id}", event.conversation_id, event.contact_id,
                        first.pk if first else None, first.body if first else None)]
    if isinstance(event, e.MessageReceived):
        body = Message.objects.for_workspace(ws).filter(pk=event.message_id).values_list("body", flat=True).first()
        return [Subject(f"message:{event.message_id}", event.conversation_id, event.contact_id, event.message_id,
                        body or "")]
    if isinstance(event, (e.ConversationClosed, e.ConversationAssigned)):
        contact_id = (Conversation.objects.for_workspace(ws).filter(pk=event.conversation_id)
                      .values_list("contact_id", flat=True).first())
        prefix = "closed" if isinstance(event, e.ConversationClosed) else "unassigned"
        return [Subject(f"{prefix}:{event.log_id or event.conversation_id}", event.conversation_id, contact_id)]
    if isinstance(event, e.ContactTagged):
        conversation_id = (Conversation.objects.for_workspace(ws).open().filter(contact_id=event.contact_id)
                           .values_list("pk", flat=True).first())
        return [Subject(f"tagged:{event.tagging_id}", conversation_id, event.contact_id)]
    if isinstance(event, e.MemberAvailable):
        waiting = (Conversation.objects.for_workspace(ws).open().filter(assignee__isnull=True)
                   .order_by("opened_at", "id").values_list("pk", "contact_id")[:MEMBER_AVAILABLE_BATCH])
        return [Subject(f"available:{event.key}:{pk}", pk, contact_id) for pk, contact_id in waiting]
    return []


def _trigger_matches(workflow: Workflow, event: object, subject: Subject) -> bool:
    if workflow.trigger == T.MESSAGE_RECEIVED and words_of(workflow.trigger_words):
        return checks.contains(subject.message_text, words_of(workflow.trigger_words))
    if workflow.trigger == T.CONTACT_TAGGED and workflow.trigger_tag_id:
        return event.tag_id == workflow.trigger_tag_id
    return True


# ---- running ------------------------------------------------------------------------------------------------

def handle_event(*, workspace: Workspace, event: object) -> None:
    """Keep the waiting queue and the waits in step with the event, then run the workflows it triggers."""
    if isinstance(event, e.ConversationClosed):
        cancel_for_closed(workspace=workspace, conversation_id=event.conversation_id)
    elif isinstance(event, e.ConversationAssigned) and event.assignee_id is not None and event.workflow_id is None:
        assigning.resolve_assigned(workspace=workspace, conversation_id=event.conversation_id)
    elif isinstance(event, e.ConversationHandedOver):
        handed_over(workspace=workspace, conversation_id=event.conversation_id)
    frees = isinstance(event, (e.ConversationClosed, e.MemberAvailable)) or (
        isinstance(event, e.ConversationAssigned) and event.previous_assignee_id is not None)
    if frees:
        assigning.drain(workspace=workspace)
    trigger = trigger_of(event)
    if trigger is None or caused_by_workflow(event):
        return
    subjects = None
    for workflow in selectors.workflows_for(workspace_id=workspace.pk, trigger=trigger):
        subjects = _subjects(workspace, event) if subjects is None else subjects
        for subject in subjects:
            if _trigger_matches(workflow, event, subject):
                start_run(workspace=workspace, workflow=workflow, subject=subject)


def _bot_holds(workspace: Workspace, conversation_id: int | None) -> bool:
    hook = getattr(settings, "PARLEY_BOT_HOLDS_CONVERSATION", "")
    if not hook or conversation_id is None:
        return False
    return bool(import_string(hook)(workspace=workspace, conversation_id=conversation_id))


def _has_assign(steps: list[Step]) -> bool:
    return any(step.kind == Step.Kind.ASSIGN for step in steps)


def start_run(*, workspace: Workspace, workflow: Workflow, subject: Subject) -> WorkflowRun | None:
    """Run the workflow for one subject of an event, once: None when this event already ran it."""
    steps = selectors.ordered_steps(workflow)
    try:
        with transaction.atomic():
            if _has_assign(steps):
                assigning.lock(workspace)  # first: the lock order is routing, then conversations
            try:
                with transaction.atomic():
                    run = WorkflowRun.objects.create(
                        workspace=workspace, workflow=workflow, event_key=subject.key[:160], trigger=workflow.trigger,
                        conversation_id=subject.conversation_id, contact_id=subject.contact_id,
                        message_id=subject.message_id)
            except IntegrityError:
                return None  # a redelivered task: this event already ran this workflow
            conversation = None
            if subject.conversation_id is not None:
                conversation = (Conversation.objects.for_workspace(workspace).select_related("channel")
                                .filter(pk=subject.conversation_id).first())
            facts = checks.Facts(workspace=workspace, conversation=conversation, contact_id=subject.contact_id,
                                 message_text=subject.message_text, now=timezone.now())
            results = checks.check_all(selectors.ordered_conditions(workflow), facts)
            run.checks = [r.as_dict() for r in results]
            if not all(r.passed for r in results):
                run.state = WorkflowRun.State.SKIPPED
                run.save(update_fields=["checks", "state", "updated_at"])
                return run
            if (workflow.trigger == T.CONVERSATION_OPENED and _has_assign(steps) and steps
                    and _bot_holds(workspace, subject.conversation_id)):
                run.state, run.next_step = WorkflowRun.State.HELD, steps[0]
                run.save(update_fields=["checks", "state", "next_step", "updated_at"])
                return run
            _execute(workspace, workflow, run, steps, 0)
            return run
    except STEP_ERRORS as exc:  # raised outside any step (a vanished row): the run is recorded as failed
        return _failed(workspace, workflow, subject, str(exc))


def _failed(workspace: Workspace, workflow: Workflow, subject: Subject, error: str) -> WorkflowRun | None:
    try:
        with transaction.atomic():
            return WorkflowRun.objects.create(
                workspace=workspace, workflow=workflow, event_key=subject.key[:160], trigger=workflow.trigger,
                conversation_id=subject.conversation_id, contact_id=subject.contact_id,
                state=WorkflowRun.State.FAILED, error=error[:2000])
    except IntegrityError:
        return None


def _entry(step: Step, text: str, *, ok: bool = True) -> dict:
    return {"step": step.pk, "what": step_sentence(step), "text": text, "ok": ok, "at": timezone.now().isoformat()}


def _execute(workspace: Workspace, workflow: Workflow, run: WorkflowRun, steps: list[Step], start: int) -> None:
    """Run steps[start:] inside the caller's transaction, each in a savepoint: a step that cannot do its part
    ends the run as failed, keeping what the steps before it did. A wait or an empty queue pauses the run."""
    run.state = WorkflowRun.State.RUNNING
    for index in range(start, len(steps)):
        step = steps[index]
        ctx = StepContext(workspace=workspace, run=run, step=step, conversation_id=run.conversation_id,
                          contact_id=run.contact_id)
        try:
            with transaction.atomic():
                outcome = run_step(ctx)
        except STEP_ERRORS as exc:
            run.log = [*run.log, _entry(step, str(exc), ok=False)]
            run.state, run.error, run.next_step = WorkflowRun.State.FAILED, str(exc)[:2000], None
            run.save()
            return
        run.log = [*run.log, _entry(step, outcome.text, ok=outcome.ok)]
        following = steps[index + 1] if index + 1 < len(steps) else None
        if outcome.pause == "wait" and following is not None:
            run.state, run.next_step = WorkflowRun.State.WAITING, following
            run.resume_at = timezone.now() + timedelta(seconds=outcome.delay)
            run.save()
            jobs.enqueue(assigning.RESUME_TASK, workspace.pk, run.pk, following.pk, countdown=outcome.delay)
            return
        if outcome.pause == "queued":
            run.state, run.next_step = WorkflowRun.State.QUEUED, following
            run.save()
            return
    run.state, run.next_step, run.resume_at = WorkflowRun.State.DONE, None, None
    run.save()


def resume_run(*, workspace: Workspace, run_id: int, step_id: int) -> None:
    """Go on after a wait (or once a queued conversation got its agent). A duplicate or late copy does nothing:
    the run must still be waiting for exactly this step."""
    run = WorkflowRun.objects.for_workspace(workspace).filter(pk=run_id).first()
    if run is None or run.state != WorkflowRun.State.WAITING or run.next_step_id != step_id:
        return
    workflow = selectors.workflow_with_parts(workspace_id=workspace.pk, workflow_id=run.workflow_id)
    steps = selectors.ordered_steps(workflow) if workflow else []
    with transaction.atomic():
        if _has_assign(steps):
            assigning.lock(workspace)
        run = WorkflowRun.objects.for_workspace(workspace).select_for_update().filter(pk=run_id).first()
        if run is None or run.state != WorkflowRun.State.WAITING or run.next_step_id != step_id:
            return
        index = next((i for i, step in enumerate(steps) if step.pk == step_id), None)
        reason = None
        if workflow is None or not workflow.enabled:
            reason = _("Cancelled: the workflow was turned off.")
        elif index is None:
            reason = _("Cancelled: the workflow's steps changed.")
        elif run.trigger != T.CONVERSATION_CLOSED and run.conversation_id is not None and not (
                Conversation.objects.for_workspace(workspace).open().filter(pk=run.conversation_id).exists()):
            reason = _("Cancelled: the conversation was closed.")
        if reason:
            _cancel(run, reason)
            return
        run.resume_at = None
        _execute(workspace, workflow, run, steps, index)


def _cancel(run: WorkflowRun, text: str) -> None:
    run.state, run.next_step, run.resume_at = WorkflowRun.State.CANCELLED, None, None
    run.log = [*run.log, {"text": text, "ok": False, "at": timezone.now().isoformat()}]
    run.save()


def cancel_for_closed(*, workspace: Workspace, conversation_id: int) -> int:
    """The conversation was closed: its waiting runs stop (not those a closing triggered). Returns how many."""
    paused = (WorkflowRun.objects.for_workspace(workspace)
              .filter(conversation_id=conversation_id, state__in=WorkflowRun.PAUSED)
              .exclude(trigger=T.CONVERSATION_CLOSED))
    if not paused.exists():
        return 0
    with transaction.atomic():
        assigning.lock(workspace)
        WaitingConversation.objects.for_workspace(workspace).filter(conversation_id=conversation_id).delete()
        runs = list(paused.select_for_update())
        for run in runs:
            _cancel(run, _("Cancelled: the conversation was closed."))
    return len(runs)


def handed_over(*, workspace: Workspace, conversation_id: int) -> None:
    """The bot let go of the conversation: the runs it held go on now."""
    held = list(WorkflowRun.objects.for_workspace(workspace).filter(
        conversation_id=conversation_id, state=WorkflowRun.State.HELD).values_list("pk", "next_step_id"))
    for run_id, step_id in held:
        updated = (WorkflowRun.objects.for_workspace(workspace).filter(pk=run_id, state=WorkflowRun.State.HELD)
                   .update(state=WorkflowRun.State.WAITING))
        if updated and step_id is not None:
            resume_run(workspace=workspace, run_id=run_id, step_id=step_id)
