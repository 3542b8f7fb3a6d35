"""Reopening a closed conversation (supervisors, from the review page or the conversation itself)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.errors import InboxError
from inbox.models import Conversation, ConversationEvent
from kernel import events as domain
from kernel.dispatch import record
from workspaces.models import Membership, Workspace


@transaction.atomic
def conversation_reopen(*, workspace: Workspace, conversation_id: int, actor: Membership | None) -> Conversation:
    """Make a closed conversation the contact's open one again: unassigned, back in the queue.

    Refused (InboxError) when it is open already, or when the contact has another open conversation (a
    contact has at most one: continue there). Its closing note stays until it is closed again. The log
    records who reopened it; another workspace's id is Conversation.DoesNotExist.
    """
    conversation = (
        Conversation.objects.for_workspace(workspace).select_for_update(of=("self",))
        .select_related("contact").filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist
    if actor is not None and actor.workspace_id != workspace.pk:
        raise InboxError(_("That person is not a member of this workspace."))
    if conversation.is_open:
        raise InboxError(_("This conversation is already open."))
    already_open = _another_open_conversation(workspace, conversation)
    if already_open:
        raise InboxError(already_open)
    now = timezone.now()
    conversation.status = Conversation.Status.OPEN
    conversation.closed_at = None
    conversation.assignee = None
    conversation.last_activity_at = now
    try:
        with transaction.atomic():  # a message opening a new conversation at this instant wins the constraint
            conversation.save(update_fields=["status", "closed_at", "assignee", "last_activity_at", "updated_at"])
    except IntegrityError:
        raise InboxError(_another_open_conversation(workspace, conversation)
                         or _("The contact has another open conversation.")) from None
    entry = ConversationEvent.objects.create(workspace=workspace, conversation=conversation, actor=actor,
                                             kind=ConversationEvent.Kind.REOPENED, created_at=now)
    record(domain.ConversationReopened(workspace_id=workspace.pk, conversation_id=conversation.pk,
                                       actor_id=actor.pk if actor else None, log_id=entry.pk))
    return conversation


def _another_open_conversation(workspace: Workspace, conversation: Conversation) -> str:
    """The refusal to show when the contact has another open conversation, or ""."""
    other = (Conversation.objects.for_workspace(workspace).open().filter(contact_id=conversation.contact_id)
             .exclude(pk=conversation.pk).values_list("pk", flat=True).first())
    if other is None:
        return ""
    return _("%(name)s already has an open conversation (#%(id)s): continue there.") % {
        "name": conversation.contact.display_name, "id": other}
