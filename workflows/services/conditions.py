"""Conditions: each one holds or not for the facts of one run (reads only — the dry run uses them too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from contacts.models import ContactTag
from inbox.models import Conversation
from workspaces import business_hours
from workspaces.models import Workspace

from ..models import Condition
from ..sentences import condition_sentence, words_of


@dataclass
class Facts:
    """What the conditions look at; the contact's tags are read once, when a condition first asks."""

    workspace: Workspace
    conversation: Conversation | None
    contact_id: int | None
    message_text: str | None
    now: datetime
    _tags: set[int] | None = field(default=None, repr=False)

    @property
    def tag_ids(self) -> set[int]:
        if self._tags is None:
            self._tags = set() if self.contact_id is None else set(
                ContactTag.objects.for_workspace(self.workspace).filter(contact_id=self.contact_id)
                .values_list("tag_id", flat=True))
        return self._tags


@dataclass(frozen=True)
class Check:
    text: str
    passed: bool
    note: str = ""

    def as_dict(self) -> dict:
        return {"text": self.text, "passed": self.passed, "note": self.note}


def contains(text: str | None, words: list[str]) -> bool:
    folded = (text or "").casefold()
    return any(word in folded for word in words)


def check(condition: Condition, facts: Facts) -> Check:
    kind, text, conversation = condition.kind, condition_sentence(condition), facts.conversation
    if kind in (Condition.Kind.CHANNEL_IS, Condition.Kind.CHANNEL_IS_NOT):
        if conversation is None:
            return Check(text, False, _("no conversation"))
        same = conversation.channel.kind == condition.channel_kind
        return Check(text, same if kind == Condition.Kind.CHANNEL_IS else not same,
                     _("the channel is %(channel)s") % {"channel": conversation.channel.get_kind_display()})
    if kind == Condition.Kind.CONTACT_HAS_TAG:
        return Check(text, condition.tag_id in facts.tag_ids)
    if kind == Condition.Kind.MESSAGE_CONTAINS:
        if facts.message_text is None:
            return Check(text, False, _("no message"))
        return Check(text, contains(facts.message_text, words_of(condition.words)))
    if kind in (Condition.Kind.WITHIN_HOURS, Condition.Kind.OUTSIDE_HOURS):
        hours = business_hours.for_workspace(facts.workspace)
        is_open = hours.is_open(facts.now)
        note = "" if hours.configured else _("no business hours set: always open")
        return Check(text, is_open if kind == Condition.Kind.WITHIN_HOURS else not is_open, note)
    if kind == Condition.Kind.UNASSIGNED:
        if conversation is None:
            return Check(text, False, _("no conversation"))
        return Check(text, conversation.assignee_id is None)
    return Check(text, False, _("unknown condition"))


def check_all(conditions: list[Condition], facts: Facts) -> list[Check]:
    return [check(condition, facts) for condition in conditions]
