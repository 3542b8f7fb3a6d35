"""Automatic assignment: who qualifies, who is picked, the waiting queue and the answer timeout.

Every automatic assignment of a workspace holds its RoutingState row lock (taken first, before any
conversation's), so the open counts a pick reads are exact while it decides: capacity is never exceeded
and round robin stays fair however many workers assign at once. A conversation nobody qualifies for waits
(WaitingConversation) and is assigned as soon as someone does — a member comes online or frees capacity —
the one waiting longest first (drain).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import Conversation, ConversationEvent, Message
from inbox.services.assignment import conversation_assign
from inbox.services.automation import log_waiting_for_agent
from kernel import jobs
from realtime import presence
from workspaces.models import Membership, Workspace

from ..models import RoutingState, Step, WaitingConversation, WorkflowRun

log = logging.getLogger(__name__)

DRAIN_BATCH = 200
TIMEOUT_TASK = "workflows.tasks.check_timeout"
RESUME_TASK = "workflows.tasks.resume_run"


# ---- the lock ---------------------------------------------------------------------------------------------

def lock(workspace: Workspace) -> RoutingState:
    """Take the workspace's routing lock (inside the caller's transaction) and return its state."""
    state = RoutingState.objects.for_workspace(workspace).select_for_update().first()
    if state is None:
        RoutingState.objects.bulk_create([RoutingState(workspace=workspace)], ignore_conflicts=True)
        state = RoutingState.objects.for_workspace(workspace).select_for_update().get()
    return state


def peek(workspace: Workspace) -> RoutingState:
    """The state without locking or creating it (the dry run)."""
    return RoutingState.objects.for_workspace(workspace).first() or RoutingState(workspace=workspace)


# ---- who qualifies, who is picked ---------------------------------------------------------------------------

@dataclass
class Choice:
    member: Membership | None
    notes: list[str] = field(default_factory=list)  # why the others did not qualify (the dry run shows them)


def _pool(workspace: Workspace, step: Step) -> list[Membership]:
    members = Membership.objects.for_workspace(workspace).select_related("user").order_by("pk")
    if step.strategy == Step.Strategy.SPECIFIC:
        members = members.filter(pk=step.member_id)
    elif step.team_id:
        members = members.filter(teams=step.team_id)
    return list(members)


def open_counts(workspace: Workspace, member_ids: list[int]) -> dict[int, int]:
    rows = (Conversation.objects.for_workspace(workspace).open().filter(assignee_id__in=member_ids)
            .order_by().values_list("assignee_id").annotate(n=Count("id")))
    return dict(rows)


def previous_assignee_id(workspace: Workspace, conversation: Conversation) -> int | None:
    """Who was last assigned one of the contact's earlier conversations (closing unassigns: the log knows)."""
    return (
        ConversationEvent.objects.for_workspace(workspace)
        .filter(conversation__contact_id=conversation.contact_id, kind=ConversationEvent.Kind.ASSIGNED,
                assignee__isnull=False)
        .exclude(conversation_id=conversation.pk)
        .order_by("-created_at", "-id").values_list("assignee_id", flat=True).first()
    )


def _after(members: list[Membership], last_id: int | None) -> list[Membership]:
    """The members in round-robin order, starting after the one assigned last."""
    if last_id is None:
        return members
    later = [m for m in members if m.pk > last_id]
    return later + [m for m in members if m.pk <= last_id]


def pick(workspace: Workspace, state: RoutingState, step: Step, conversation: Conversation,
         exclude: frozenset[int] = frozenset()) -> Choice:
    """The member this step would assign the conversation to now, or none (with the reasons)."""
    if step.strategy == Step.Strategy.SPECIFIC and step.member_id is None:
        return Choice(None, [_("the member of this step left the workspace")])
    pool = [m for m in _pool(workspace, step) if m.pk not in exclude]
    notes: list[str] = []
    if not pool:
        return Choice(None, [_("nobody to choose from")])
    online = presence.online_ids(m.pk for m in pool) if step.online_only else set()
    counts = open_counts(workspace, [m.pk for m in pool])
    eligible: list[Membership] = []
    for member in pool:
        n = counts.get(member.pk, 0)
        if member.away:
            notes.append(_("%(name)s is away") % {"name": member.display_name})
        elif step.online_only and member.pk not in online:
            notes.append(_("%(name)s is offline") % {"name": member.display_name})
        elif step.capacity and n >= step.capacity:
            notes.append(_("%(name)s has %(n)d of %(max)d open conversations")
                         % {"name": member.display_name, "n": n, "max": step.capacity})
        else:
            eligible.append(member)
    if not eligible:
        return Choice(None, notes)
    strategy = step.strategy or Step.Strategy.ROUND_ROBIN
    if strategy == Step.Strategy.PREVIOUS:
        previous = previous_assignee_id(workspace, conversation)
        chosen = next((m for m in eligible if m.pk == previous), None)
        if chosen is not None:
            return Choice(chosen, notes)
        notes.append(_("the previous assignee does not qualify") if previous else _("no previous assignee"))
        strategy = step.fallback or Step.Strategy.ROUND_ROBIN
    order = _after(eligible, state.cursors.get(str(step.pk)))
    if strategy == Step.Strategy.FEWEST_OPEN:
        fewest = min(counts.get(m.pk, 0) for m in order)
        return Choice(next(m for m in order if counts.get(m.pk, 0) == fewest), notes)
    return Choice(order[0], notes)


# ---- assigning, waiting, draining ----------------------------------------------------------------------------

def _assign(workspace: Workspace, state: RoutingState, run: WorkflowRun, step: Step, conversation_id: int,
            member: Membership, *, expected: int | None = None, exclude: list[int] | None = None) -> bool:
    """Assign (if the conversation is still held by `expected`) and schedule the answer timeout."""
    conversation = conversation_assign(
        workspace=workspace, conversation_id=conversation_id, assignee=member, actor=None,
        workflow_id=run.workflow_id, workflow_name=run.workflow.name, expected_assignee_id=expected)
    if conversation.assignee_id != member.pk:
        return False
    state.cursors[str(step.pk)] = member.pk
    state.save(update_fields=["cursors"])
    if step.timeout_minutes:
        log_id = (ConversationEvent.objects.for_workspace(workspace)
                  .filter(conversation_id=conversation_id, kind=ConversationEvent.Kind.ASSIGNED)
                  .order_by("-id").values_list("pk", flat=True).first())
        jobs.enqueue(TIMEOUT_TASK, workspace.pk, run.pk, step.pk, conversation_id, member.pk, log_id,
                     [*(exclude or []), member.pk], countdown=step.timeout_minutes * 60)
    return True


@dataclass
class StepResult:
    text: str
    queued: bool = False


def assign_step(*, workspace: Workspace, run: WorkflowRun, step: Step, conversation_id: int | None,
                dry: bool = False) -> StepResult:
    """Run an assign step (the caller holds the routing lock unless dry): assign, or queue the conversation."""
    if conversation_id is None:
        return StepResult(_("No conversation to assign."))
    conversation = (Conversation.objects.for_workspace(workspace).select_related("contact")
                    .filter(pk=conversation_id).first())
    if conversation is None or not conversation.is_open:
        return StepResult(_("Not assigned: the conversation is closed."))
    if conversation.assignee_id is not None:
        return StepResult(_("Already assigned: left as it is."))
    state = peek(workspace) if dry else lock(workspace)
    if not dry and WaitingConversation.objects.for_workspace(workspace).filter(step=step).exists():
        _drain_locked(workspace, state, only_step=step)  # those waiting longer go first
        if WaitingConversation.objects.for_workspace(workspace).filter(step=step).exists():
            return _queue(workspace, run, step, conversation, _("others are waiting longer"))
    choice = pick(workspace, state, step, conversation)
    if choice.member is None:
        reason = "; ".join(choice.notes)
        if dry:
            return StepResult(_("Nobody qualifies now (%(why)s): it would wait for an agent.") % {"why": reason},
                              queued=True)
        return _queue(workspace, run, step, conversation, reason)
    if dry:
        return StepResult(_("Would assign to %(name)s.") % {"name": choice.member.display_name})
    if not _assign(workspace, state, run, step, conversation.pk, choice.member):
        return StepResult(_("Already assigned: left as it is."))
    return StepResult(_("Assigned to %(name)s.") % {"name": choice.member.display_name})


def _queue(workspace: Workspace, run: WorkflowRun, step: Step, conversation: Conversation, reason: str) -> StepResult:
    _entry, created = WaitingConversation.objects.get_or_create(
        conversation=conversation, defaults={"workspace": workspace, "run": run, "step": step, "since": timezone.now()})
    if not created:
        return StepResult(_("Already waiting for an agent."))
    log_waiting_for_agent(workspace=workspace, conversation_id=conversation.pk, workflow_id=run.workflow_id,
                          workflow_name=run.workflow.name)
    return StepResult(_("Nobody qualifies now (%(why)s): waiting for an agent.") % {"why": reason}, queued=True)


def _continue(run: WorkflowRun, text: str) -> None:
    """A queued run's conversation got its assignee: the steps after the assign step run next."""
    run.log = [*run.log, {"text": text, "ok": True, "at": timezone.now().isoformat()}]
    if run.next_step_id is None:
        run.state = WorkflowRun.State.DONE
        run.save(update_fields=["log", "state", "updated_at"])
        return
    run.state = WorkflowRun.State.WAITING
    run.resume_at = timezone.now()
    run.save(update_fields=["log", "state", "resume_at", "updated_at"])
    jobs.enqueue(RESUME_TASK, run.workspace_id, run.pk, run.next_step_id)


def _drain_locked(workspace: Workspace, state: RoutingState, *, only_step: Step | None = None,
                  limit: int = DRAIN_BATCH) -> int:
    entries = WaitingConversation.objects.for_workspace(workspace).select_related(
        "step__team", "step__member__user", "run__workflow")
    if only_step is not None:
        entries = entries.filter(step=only_step)
    assigned = 0
    exhausted: set[int] = set()  # steps whose pool is full: later entries of the same step wait too
    for entry in list(entries.order_by("since", "id")[:limit]):
        if entry.step_id in exhausted:
            continue
        conversation = (Conversation.objects.for_workspace(workspace).select_related("contact", "assignee__user")
                        .filter(pk=entry.conversation_id).first())
        if conversation is None or not conversation.is_open or conversation.assignee_id is not None:
            resolve(workspace, entry, conversation)
            continue
        if not entry.run.workflow.enabled:
            entry.delete()
            _cancel(entry.run, _("Cancelled: the workflow was turned off."))
            continue
        choice = pick(workspace, state, entry.step, conversation)
        if choice.member is None:
            if entry.step.strategy != Step.Strategy.PREVIOUS:
                exhausted.add(entry.step_id)
            continue
        if _assign(workspace, state, entry.run, entry.step, conversation.pk, choice.member):
            assigned += 1
            entry.delete()
            _continue(entry.run, _("Assigned to %(name)s after waiting.") % {"name": choice.member.display_name})
    return assigned


def drain(*, workspace: Workspace) -> int:
    """Assign waiting conversations to whoever qualifies now, the one waiting longest first. Returns how many."""
    if not WaitingConversation.objects.for_workspace(workspace).exists():
        return 0
    with transaction.atomic():
        return _drain_locked(workspace, lock(workspace))


def resolve(workspace: Workspace, entry: WaitingConversation, conversation: Conversation | None) -> None:
    """A waiting conversation was assigned by someone else, or closed: it waits no more."""
    entry.delete()
    if conversation is not None and conversation.is_open and conversation.assignee is not None:
        _continue(entry.run, _("Assigned meanwhile to %(name)s.") % {"name": conversation.assignee.display_name})
    else:
        _cancel(entry.run, _("Cancelled: the conversation was closed."))


def _cancel(run: WorkflowRun, text: str) -> None:
    run.state = WorkflowRun.State.CANCELLED
    run.log = [*run.log, {"text": text, "ok": False, "at": timezone.now().isoformat()}]
    run.save(update_fields=["state", "log", "updated_at"])


def resolve_assigned(*, workspace: Workspace, conversation_id: int) -> None:
    """Someone assigned the conversation: if it was waiting for an agent, it is not any more."""
    with transaction.atomic():
        entry = (WaitingConversation.objects.for_workspace(workspace).select_related("run__workflow")
                 .filter(conversation_id=conversation_id).first())
        if entry is None:
            return
        lock(workspace)
        entry = (WaitingConversation.objects.for_workspace(workspace).select_related("run__workflow")
                 .filter(conversation_id=conversation_id).first())
        if entry is not None:
            conversation = (Conversation.objects.for_workspace(workspace).select_related("assignee__user")
                            .filter(pk=conversation_id).first())
            resolve(workspace, entry, conversation)


# ---- the answer timeout ----------------------------------------------------------------------------------------

def check_timeout(*, workspace: Workspace, run_id: int, step_id: int, conversation_id: int, assignee_id: int,
                  log_id: int | None, excluded: list[int]) -> str:
    """If the assignee has not answered since they were assigned (log_id), reassign by the same step's strategy
    to someone else. Returns what happened (for the run's log)."""
    with transaction.atomic():
        state = lock(workspace)
        run = WorkflowRun.objects.for_workspace(workspace).select_related("workflow").filter(pk=run_id).first()
        step = Step.objects.for_workspace(workspace).select_related("team").filter(pk=step_id).first()
        conversation = Conversation.objects.for_workspace(workspace).select_related("contact").filter(
            pk=conversation_id).first()
        if run is None or step is None or conversation is None or not conversation.is_open:
            return "gone"
        last = (ConversationEvent.objects.for_workspace(workspace).filter(
            conversation_id=conversation_id, kind__in=[ConversationEvent.Kind.ASSIGNED,
                                                       ConversationEvent.Kind.UNASSIGNED])
            .order_by("-id").first())
        if conversation.assignee_id != assignee_id or last is None or last.pk != log_id:
            return "reassigned meanwhile"
        answered = (Message.objects.for_workspace(workspace)
                    .filter(conversation_id=conversation_id, direction=Message.Direction.OUT, sender_id=assignee_id,
                            created_at__gte=last.created_at).exclude(kind=Message.Kind.NOTE).exists())
        if answered:
            return "answered"
        former = conversation.assignee_id
        former_name = Membership.objects.select_related("user").get(pk=former).display_name
        choice = pick(workspace, state, step, conversation, exclude=frozenset(excluded))
        minutes = step.timeout_minutes or 0
        if choice.member is None:
            text = _("%(name)s did not answer within %(n)d minutes; nobody else qualifies, so it stays with them.") % {
                "name": former_name, "n": minutes}
        elif _assign(workspace, state, run, step, conversation_id, choice.member, expected=former, exclude=excluded):
            text = _("%(name)s did not answer within %(n)d minutes: reassigned to %(other)s.") % {
                "name": former_name, "n": minutes, "other": choice.member.display_name}
        else:
            return "reassigned meanwhile"
        run.log = [*run.log, {"text": text, "ok": choice.member is not None, "at": timezone.now().isoformat()}]
        run.save(update_fields=["log", "updated_at"])
        return text
