"""Every condition, passing and failing: channel is / is not, contact has tag, message contains, within /
outside business hours (the workspace's time zone, weekly hours, holidays), conversation unassigned."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contacts.models import ContactTag, Tag
from tests import factories as f
from tests.inbox.helpers import inbound
from workflows.models import Condition, Step, Workflow, WorkflowRun
from workflows.services import conditions as checks
from workspaces import business_hours

from .helpers import make_workflow, run_jobs

pytestmark = pytest.mark.django_db

K = Condition.Kind
MADRID_WEEKDAYS = {"time_zone": "Europe/Madrid", "weekly": {str(d): [["09:00", "14:00"], ["16:00", "19:00"]]
                                                           for d in range(5)}, "holidays": ["2026-12-08"]}


def facts(world, conversation=None, *, text=None, now=None):
    conversation = conversation or f.make_conversation(world.ws, channel=world.channel)
    return checks.Facts(workspace=world.ws, conversation=conversation, contact_id=conversation.contact_id,
                        message_text=text, now=now or datetime.now(UTC))


def holds(kind, world, **fields) -> bool:
    facts_fields = {k: fields.pop(k) for k in ("conversation", "text", "now") if k in fields}
    condition = Condition(workspace=world.ws, kind=kind, **fields)
    return checks.check(condition, facts(world, **facts_fields)).passed


def test_channel_is_and_is_not(world):
    telegram = f.make_conversation(world.ws, channel=f.make_channel(world.ws, "telegram"))
    assert holds(K.CHANNEL_IS, world, channel_kind="telegram", conversation=telegram)
    assert not holds(K.CHANNEL_IS, world, channel_kind="whatsapp", conversation=telegram)
    assert holds(K.CHANNEL_IS_NOT, world, channel_kind="whatsapp", conversation=telegram)
    assert not holds(K.CHANNEL_IS_NOT, world, channel_kind="telegram", conversation=telegram)


def test_contact_has_tag(world):
    vip = Tag.objects.create(workspace=world.ws, name="vip")
    conversation = f.make_conversation(world.ws, channel=world.channel)
    assert not holds(K.CONTACT_HAS_TAG, world, tag=vip, conversation=conversation)
    ContactTag.objects.create(workspace=world.ws, contact_id=conversation.contact_id, tag=vip)
    assert holds(K.CONTACT_HAS_TAG, world, tag=vip, conversation=conversation)


def test_message_contains_any_word_in_any_case(world):
    assert holds(K.MESSAGE_CONTAINS, world, words="refund, invoice", text="Where is my INVOICE?")
    assert not holds(K.MESSAGE_CONTAINS, world, words="refund, invoice", text="Hello")
    assert not holds(K.MESSAGE_CONTAINS, world, words="refund", text=None)


def test_conversation_unassigned(world):
    assert holds(K.UNASSIGNED, world)
    taken = f.make_conversation(world.ws, channel=world.channel, assignee=world.demo.agent)
    assert not holds(K.UNASSIGNED, world, conversation=taken)


@pytest.mark.parametrize(("utc", "open_"), [
    (datetime(2026, 12, 7, 8, 30, tzinfo=UTC), True),    # Monday 09:30 in Madrid (UTC+1)
    (datetime(2026, 12, 7, 13, 30, tzinfo=UTC), False),  # Monday 14:30: the lunch break
    (datetime(2026, 12, 7, 17, 59, tzinfo=UTC), True),   # Monday 18:59
    (datetime(2026, 12, 7, 18, 0, tzinfo=UTC), False),   # Monday 19:00: closed
    (datetime(2026, 12, 8, 10, 0, tzinfo=UTC), False),   # Tuesday, a holiday
    (datetime(2026, 12, 12, 10, 0, tzinfo=UTC), False),  # Saturday
])
def test_within_and_outside_business_hours_in_the_workspace_time_zone(world, utc, open_):
    world.ws.settings = {business_hours.SETTINGS_KEY: MADRID_WEEKDAYS}
    world.ws.save()
    assert holds(K.WITHIN_HOURS, world, now=utc) is open_
    assert holds(K.OUTSIDE_HOURS, world, now=utc) is not open_


def test_a_workspace_without_business_hours_is_always_within_them(world):
    assert holds(K.WITHIN_HOURS, world) and not holds(K.OUTSIDE_HOURS, world)


def test_all_conditions_must_hold_and_a_run_records_each_check(world):
    whatsapp = f.make_channel(world.ws, "whatsapp")
    make_workflow(world.ws, Workflow.Trigger.MESSAGE_RECEIVED,
                  conditions=[{"kind": K.CHANNEL_IS, "channel_kind": "whatsapp"},
                              {"kind": K.MESSAGE_CONTAINS, "words": "urgent"}],
                  steps=[{"kind": Step.Kind.ADD_COMMENT, "text": "urgent WhatsApp"}])
    inbound(world.ws, whatsapp, contact="w1", msg="w-1", text="This is URGENT")
    inbound(world.ws, whatsapp, contact="w2", msg="w-2", text="no hurry")
    inbound(world.ws, world.channel, contact="a1", msg="a-1", text="urgent but API")
    run_jobs()
    runs = {r.message_id: r for r in WorkflowRun.objects.all()}
    assert sorted(r.state for r in runs.values()) == ["done", "skipped", "skipped"]
    skipped = next(r for r in runs.values() if r.state == "skipped" and not r.checks[0]["passed"])
    assert skipped.checks[0]["text"] == "the channel is WhatsApp"


def test_business_hours_are_read_back_as_written():
    hours = business_hours.from_settings({business_hours.SETTINGS_KEY: MADRID_WEEKDAYS})
    assert business_hours.from_settings({business_hours.SETTINGS_KEY: hours.to_settings()}) == hours
    assert business_hours.format_day(hours.weekly[0]) == "09:00-14:00, 16:00-19:00"
    with pytest.raises(business_hours.BusinessHoursError):
        business_hours.parse_day("18:00-09:00")
    with pytest.raises(business_hours.BusinessHoursError):
        business_hours.parse_day("09:00-12:00, 11:00-13:00")
    assert business_hours.parse_day("00:00-24:00")[0][1] is None
    assert not business_hours.from_settings({business_hours.SETTINGS_KEY: {"time_zone": "Mars/Olympus"}}).configured
