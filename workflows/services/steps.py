"""The steps a workflow runs. Each writes through the service that owns the change (the inbox, the contacts),
which records its own event marked with the workflow's id — so nothing a step does triggers workflows again.

With `dry=True` a step only says what it would do: nothing is written, nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files import File
from django.utils.translation import gettext as _

from connectors import registry
from contacts.models import Contact
from contacts.services.tags import TagError, contact_tag_add, contact_tag_remove
from inbox.errors import InboxError
from inbox.models import Conversation
from inbox.services.automation import add_system_note, send_system_message
from inbox.services.closing import conversation_close
from media.uploads import PreparedFile
from snippets import selectors as snippet_selectors
from snippets.rendering import render_text
from surveys.models import Survey
from surveys.services import survey_send
from workspaces.models import Workspace

from ..errors import WorkflowError
from ..models import Step, WorkflowRun
from ..sentences import duration_text, shorten
from . import assign as assigning


@dataclass(frozen=True)
class Outcome:
    text: str
    ok: bool = True
    pause: str | None = None  # "wait" (resume after `delay` seconds) | "queued" (resume once assigned)
    delay: int = 0


@dataclass(frozen=True)
class StepContext:
    workspace: Workspace
    run: WorkflowRun
    step: Step
    conversation_id: int | None
    contact_id: int | None
    dry: bool = False


def _conversation(ctx: StepContext) -> Conversation:
    conversation = None
    if ctx.conversation_id is not None:
        conversation = (Conversation.objects.for_workspace(ctx.workspace)
                        .select_related("contact", "channel", "assignee__user").filter(pk=ctx.conversation_id).first())
    if conversation is None:
        raise WorkflowError(_("This step needs a conversation, and there is none."))
    return conversation


def _values(ctx: StepContext, conversation: Conversation) -> dict[str, str]:
    contact, assignee = conversation.contact, conversation.assignee
    return {
        "contact.first_name": contact.first_name, "contact.name": contact.name, "contact.phone": contact.phone,
        "contact.email": contact.email, "workspace.name": ctx.workspace.name,
        "agent.first_name": (assignee.user.first_name or assignee.display_name.split(" ")[0]) if assignee else "",
        "agent.name": assignee.display_name if assignee else "",
    }


def _snippet_files(ctx: StepContext, conversation: Conversation) -> list[PreparedFile]:
    capabilities = registry.get(conversation.channel.kind).capabilities
    files = []
    for attachment in ctx.step.snippet.attachments.order_by("id"):
        refusal = snippet_selectors.channel_refusal(capabilities, attachment)
        if refusal:
            raise WorkflowError(refusal)
        if not ctx.dry:
            files.append(PreparedFile(name=attachment.name, content_type=attachment.content_type,
                                      size=attachment.size, content=File(attachment.file.open("rb"),
                                                                         name=attachment.name)))
    return files


def send_message(ctx: StepContext) -> Outcome:
    conversation = _conversation(ctx)
    if not conversation.is_open:
        raise WorkflowError(_("Not sent: the conversation is closed."))
    snippet = ctx.step.snippet if ctx.step.snippet_id else None
    text = render_text(snippet.body if snippet else ctx.step.text, values=_values(ctx, conversation)).text
    files = _snippet_files(ctx, conversation) if snippet else []
    if ctx.dry:
        return Outcome(_("Would send “%(text)s”.") % {"text": shorten(text)})
    send_system_message(workspace=ctx.workspace, conversation_id=conversation.pk, body=text, files=files)
    return Outcome(_("Sent “%(text)s”.") % {"text": shorten(text)})


def add_comment(ctx: StepContext) -> Outcome:
    conversation = _conversation(ctx)
    text = render_text(ctx.step.text, values=_values(ctx, conversation)).text
    if ctx.dry:
        return Outcome(_("Would add the internal comment “%(text)s”.") % {"text": shorten(text)})
    add_system_note(workspace=ctx.workspace, conversation_id=conversation.pk, body=text)
    return Outcome(_("Added the internal comment “%(text)s”.") % {"text": shorten(text)})


def _contact_id(ctx: StepContext) -> int:
    if ctx.contact_id is None or not Contact.objects.for_workspace(ctx.workspace).filter(pk=ctx.contact_id).exists():
        raise WorkflowError(_("This step needs a contact, and there is none."))
    return ctx.contact_id


def add_tag(ctx: StepContext) -> Outcome:
    contact_id, tag = _contact_id(ctx), ctx.step.tag
    if ctx.dry:
        return Outcome(_("Would add the tag “%(tag)s”.") % {"tag": tag.name})
    added = contact_tag_add(workspace=ctx.workspace, contact_id=contact_id, tag=tag, workflow_id=ctx.run.workflow_id)
    return Outcome((_("Added the tag “%(tag)s”.") if added else _("The contact already had the tag “%(tag)s”."))
                   % {"tag": tag.name})


def remove_tag(ctx: StepContext) -> Outcome:
    contact_id, tag = _contact_id(ctx), ctx.step.tag
    if ctx.dry:
        return Outcome(_("Would remove the tag “%(tag)s”.") % {"tag": tag.name})
    removed = contact_tag_remove(workspace=ctx.workspace, contact_id=contact_id, tag=tag,
                                 workflow_id=ctx.run.workflow_id)
    return Outcome((_("Removed the tag “%(tag)s”.") if removed else _("The contact did not have the tag “%(tag)s”."))
                   % {"tag": tag.name})


def close(ctx: StepContext) -> Outcome:
    conversation = _conversation(ctx)
    if not conversation.is_open:
        raise WorkflowError(_("Not closed: the conversation is closed already."))
    category = ctx.step.category
    if category is None:
        raise WorkflowError(_("The closing category of this step was deleted."))
    if ctx.dry:
        return Outcome(_("Would close the conversation as “%(category)s”.") % {"category": category.name})
    conversation_close(workspace=ctx.workspace, conversation_id=conversation.pk, category=category,
                       summary=ctx.step.text, actor=None, workflow_id=ctx.run.workflow_id,
                       workflow_name=ctx.run.workflow.name)
    return Outcome(_("Closed the conversation as “%(category)s”.") % {"category": category.name})


def wait(ctx: StepContext) -> Outcome:
    seconds = ctx.step.wait_seconds
    if seconds <= 0:
        raise WorkflowError(_("A wait step needs a positive duration."))
    text = duration_text(ctx.step.duration or 0, ctx.step.unit)
    if ctx.dry:
        return Outcome(_("Would wait %(duration)s, then go on.") % {"duration": text}, pause="wait", delay=seconds)
    return Outcome(_("Waiting %(duration)s.") % {"duration": text}, pause="wait", delay=seconds)


def assign(ctx: StepContext) -> Outcome:
    result = assigning.assign_step(workspace=ctx.workspace, run=ctx.run, step=ctx.step,
                                   conversation_id=ctx.conversation_id, dry=ctx.dry)
    return Outcome(result.text, pause="queued" if result.queued else None)


def send_survey(ctx: StepContext) -> Outcome:
    """Send the step's survey (a closed conversation may get one: a survey right after closing)."""
    conversation = _conversation(ctx)
    survey = ctx.step.survey
    if survey is None or not survey.is_active:
        raise WorkflowError(_("The survey of this step was deleted or turned off."))
    if ctx.dry:
        return Outcome(_("Would send the survey “%(title)s”.") % {"title": survey.title})
    survey_send(workspace=ctx.workspace, conversation_id=conversation.pk, survey_id=survey.pk, actor=None,
                workflow_id=ctx.run.workflow_id)
    return Outcome(_("Sent the survey “%(title)s”.") % {"title": survey.title})


HANDLERS = {
    Step.Kind.ASSIGN: assign,
    Step.Kind.SEND_MESSAGE: send_message,
    Step.Kind.SEND_SURVEY: send_survey,
    Step.Kind.ADD_TAG: add_tag,
    Step.Kind.REMOVE_TAG: remove_tag,
    Step.Kind.ADD_COMMENT: add_comment,
    Step.Kind.CLOSE: close,
    Step.Kind.WAIT: wait,
}

STEP_ERRORS = (WorkflowError, InboxError, TagError, Contact.DoesNotExist, Conversation.DoesNotExist,
               Survey.DoesNotExist)  # SurveyError is an InboxError


def run_step(ctx: StepContext) -> Outcome:
    handler = HANDLERS.get(ctx.step.kind)
    if handler is None:
        raise WorkflowError(_("Unknown step."))
    return handler(ctx)
