"""Assigning a conversation: by a member, or by a workflow (which names itself for the history)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.errors import InboxError
from inbox.models import Conversation, ConversationEvent
from kernel import events as domain
from kernel.dispatch import record
from workspaces.models import Membership, Workspace

ANYONE = object()  # `expected_assignee_id` default: assign whoever holds the conversation now


@transaction.atomic
def conversation_assign(*, workspace: Workspace, conversation_id: int, assignee: Membership | None,
                        actor: Membership | None, workflow_id: int | None = None, workflow_name: str = "",
                        expected_assignee_id: int | None | object = ANYONE) -> Conversation:
    """Assign an open conversation to a member of the workspace, or unassign it (assignee=None).

    The log records who did it (`actor`, or the workflow: `workflow_id` and its name for the history's line);
    assigning to the current assignee changes and records nothing. With `expected_assignee_id` (None:
    unassigned) nothing changes unless the conversation, once locked, is still held by that assignee — so
    a workflow never takes a conversation an agent picked up a moment ago.
    """
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update().filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    if not conversation.is_open:
        raise InboxError(_("Only open conversations can be assigned."))
    if assignee is not None and assignee.workspace_id != workspace.pk:
        raise InboxError(_("That person is not a member of this workspace."))
    if actor is not None and actor.workspace_id != workspace.pk:
        raise InboxError(_("That person is not a member of this workspace."))
    new_id = assignee.pk if assignee else None
    previous_id = conversation.assignee_id
    if previous_id == new_id:
        return conversation
    if expected_assignee_id is not ANYONE and previous_id != expected_assignee_id:
        return conversation
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    entry = ConversationEvent.objects.create(
        workspace=workspace, conversation=conversation, actor=actor, assignee=assignee, created_at=timezone.now(),
        kind=ConversationEvent.Kind.ASSIGNED if assignee else ConversationEvent.Kind.UNASSIGNED,
        via=ConversationEvent.Via.WORKFLOW if workflow_id else ConversationEvent.Via.MEMBER,
        workflow_id=workflow_id, workflow_name=workflow_name[:120],
    )
    record(domain.ConversationAssigned(
        workspace_id=workspace.pk, conversation_id=conversation.pk, assignee_id=new_id,
        previous_assignee_id=previous_id, actor_id=actor.pk if actor else None, log_id=entry.pk,
        workflow_id=workflow_id))
    return conversation
