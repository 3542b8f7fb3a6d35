"""Manual assignment."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from inbox import live
from inbox.errors import InboxError
from inbox.models import Conversation
from realtime import events
from workspaces.models import Membership, Workspace


@transaction.atomic
def conversation_assign(*, workspace: Workspace, conversation_id: int, assignee: Membership | None,
                        actor: Membership | None) -> Conversation:
    """Assign an open conversation to a member of the workspace, or unassign it (assignee=None)."""
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update().filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    if not conversation.is_open:
        raise InboxError(_("Only open conversations can be assigned."))
    if assignee is not None and assignee.workspace_id != workspace.pk:
        raise InboxError(_("That person is not a member of this workspace."))
    new_id = assignee.pk if assignee else None
    if conversation.assignee_id == new_id:
        return conversation
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    ws_id, conv_id = workspace.pk, conversation.pk
    name = events.CONVERSATION_ASSIGNED if assignee else events.CONVERSATION_UNASSIGNED
    events.publish_on_commit(ws_id, name, lambda: live.conversation_payload(ws_id, conv_id))
    return conversation
