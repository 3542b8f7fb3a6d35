"""Every step but assign (tests/workflows/test_assignment.py): send a message (text with variables, or a snippet
with its file, through the channel as the system), send a survey, add / remove a tag, add an internal comment,
close with a category and summary, and wait — a real countdown job, after which the next steps run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import ContactTag, Tag
from inbox.models import Conversation, ConversationEvent, Message
from kernel.models import Job
from surveys.models import SurveyInvitation
from tests import factories as f
from tests.inbox.helpers import inbound
from tests.snippets.helpers import make_file, make_snippet
from tests.surveys.helpers import make_survey
from workflows.models import Step, Workflow, WorkflowRun

from .helpers import make_workflow, run_jobs

pytestmark = pytest.mark.django_db

T, K = Workflow.Trigger, Step.Kind


def opened(world, **kwargs):
    result = inbound(world.ws, world.channel, name="Ana García", **kwargs)
    run_jobs()
    return Conversation.objects.get(pk=result.conversation.pk)


def outbound(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, direction="out").order_by("id"))


def test_send_message_speaks_as_the_system_with_the_contacts_variables_and_is_delivered(world):
    make_workflow(world.ws, steps=[{"kind": K.SEND_MESSAGE, "text": "Hi {{contact.first_name}}, welcome to "
                                                                    "{{workspace.name}}!"}])
    conversation = opened(world)
    [message] = outbound(conversation)
    assert (message.body, message.sender_type, message.sender_id, message.status) == (
        "Hi Ana, welcome to Demo!", "system", None, "queued")
    assert Job.objects.filter(task="inbox.tasks.deliver_message", args=[world.ws.pk, message.pk]).exists()
    assert conversation.assignee_id is None  # a system message assigns nobody


def test_send_message_can_send_a_workspace_snippet_with_its_file(world):
    snippet = make_snippet(world.ws, "invoice", body="Your invoice, {{contact.first_name}}")
    make_file(snippet)
    make_workflow(world.ws, steps=[{"kind": K.SEND_MESSAGE, "snippet": snippet}])
    [message] = outbound(opened(world))
    assert message.body == "Your invoice, Ana"
    assert [a.name for a in message.attachments.all()] == ["invoice.pdf"]


def test_send_survey_sends_the_survey_as_the_workflow(world):
    survey = make_survey(world.ws)
    workflow = make_workflow(world.ws, T.CONVERSATION_CLOSED, steps=[{"kind": K.SEND_SURVEY, "survey": survey}])
    conversation = f.make_conversation(world.ws, channel=world.channel)
    from inbox.services.closing import conversation_close

    conversation_close(workspace=world.ws, conversation_id=conversation.pk, category=f.make_category(world.ws),
                       summary="Solved", actor=world.demo.agent)
    run_jobs()
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert invitation.workflow_id == workflow.pk and invitation.sent_by is None
    assert ConversationEvent.objects.filter(conversation=conversation, kind="survey_sent", via="workflow").exists()


def test_add_and_remove_a_tag(world):
    vip, new = Tag.objects.create(workspace=world.ws, name="vip"), Tag.objects.create(workspace=world.ws, name="new")
    make_workflow(world.ws, steps=[{"kind": K.ADD_TAG, "tag": vip}, {"kind": K.REMOVE_TAG, "tag": new}])
    contact = f.make_contact(world.ws, world.channel, external_id="ext-7")
    ContactTag.objects.create(workspace=world.ws, contact=contact, tag=new)
    opened(world, contact="ext-7")
    assert list(contact.tags.values_list("name", flat=True)) == ["vip"]


def test_add_an_internal_comment(world):
    make_workflow(world.ws, steps=[{"kind": K.ADD_COMMENT, "text": "Ask {{contact.name}} for the order number"}])
    [note] = outbound(opened(world))
    assert (note.kind, note.body, note.sender_type, note.status) == ("note", "Ask Ana García for the order number",
                                                                     "system", "sent")
    assert not Job.objects.filter(task="inbox.tasks.deliver_message").exists()  # never sent to the contact


def test_close_with_a_category_and_summary_names_the_workflow_in_the_history(world):
    category = f.make_category(world.ws, "Spam")
    workflow = make_workflow(world.ws, name="Spam filter", trigger=T.MESSAGE_RECEIVED, trigger_words="casino",
                             steps=[{"kind": K.CLOSE, "category": category, "text": "Closed as spam"}])
    conversation = opened(world, text="Best casino bonus")
    assert conversation.status == "closed" and conversation.closing_note.category == category
    assert conversation.closing_note.summary == "Closed as spam" and conversation.closing_note.author is None
    line = ConversationEvent.objects.get(conversation=conversation, kind="closed")
    assert (line.via, line.workflow_id, line.workflow_name) == ("workflow", workflow.pk, "Spam filter")


def test_a_wait_step_enqueues_the_rest_with_a_countdown_and_they_run_when_it_is_due(world):
    make_workflow(world.ws, steps=[{"kind": K.WAIT, "duration": 5, "unit": "minutes"},
                                   {"kind": K.ADD_COMMENT, "text": "Five minutes later"}])
    conversation = opened(world)
    run = WorkflowRun.objects.get()
    assert run.state == "waiting" and outbound(conversation) == []
    job = Job.objects.get(task="workflows.tasks.resume_run")
    assert timedelta(minutes=4, seconds=59) < job.run_after - timezone.now() <= timedelta(minutes=5)
    assert run_jobs() == 0  # not due yet
    run_jobs(delayed=True)
    assert [m.body for m in outbound(conversation)] == ["Five minutes later"]
    run.refresh_from_db()
    assert run.state == "done" and [e["ok"] for e in run.log] == [True, True]


def test_a_step_that_cannot_do_its_part_fails_the_run_and_the_next_steps_do_not_run(world):
    category = f.make_category(world.ws)
    make_workflow(world.ws, steps=[{"kind": K.CLOSE, "category": category, "text": "bye"},
                                   {"kind": K.SEND_MESSAGE, "text": "Too late"}])
    conversation = opened(world)
    run = WorkflowRun.objects.get()
    assert run.state == "failed" and "closed" in run.error
    assert conversation.status == "closed" and outbound(conversation) == []  # the close before it stays
