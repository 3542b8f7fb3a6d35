"""A workflow in words: "When a conversation is opened, if the channel is WhatsApp and it is outside business
hours, assign by round robin among Support, online only." The admin shows it; runs and the dry run use
the same phrases, so what an admin reads is what the engine does."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inbox.models import Channel

from .models import Condition, Step, Workflow


def words_of(text: str) -> list[str]:
    """'refund, Invoice ,,' → ['refund', 'invoice'] (how every "contains" compares)."""
    return [w.strip().casefold() for w in (text or "").split(",") if w.strip()]


def _quoted(items: list[str]) -> str:
    word = _("or")  # outside the f-string, where makemessages can see it
    return f" {word} ".join(f"“{item}”" for item in items)


def trigger_sentence(workflow: Workflow) -> str:
    trigger = workflow.trigger
    if trigger == Workflow.Trigger.MESSAGE_RECEIVED and words_of(workflow.trigger_words):
        words = _quoted(words_of(workflow.trigger_words))
        return _("When a message containing %(words)s is received") % {"words": words}
    if trigger == Workflow.Trigger.CONTACT_TAGGED and workflow.trigger_tag_id:
        return _("When the tag “%(tag)s” is added to a contact") % {"tag": workflow.trigger_tag.name}
    label = Workflow.Trigger(trigger).label if trigger in Workflow.Trigger.values else trigger
    return _("When %(trigger)s") % {"trigger": label}


def condition_sentence(condition: Condition) -> str:
    kind = condition.kind
    label = Condition.Kind(kind).label if kind in Condition.Kind.values else kind
    if kind in (Condition.Kind.CHANNEL_IS, Condition.Kind.CHANNEL_IS_NOT):
        channel = Channel.Kind(condition.channel_kind).label if condition.channel_kind in Channel.Kind.values else "?"
        return f"{label} {channel}"
    if kind == Condition.Kind.CONTACT_HAS_TAG:
        return f"{label} “{condition.tag.name if condition.tag_id else '?'}”"
    if kind == Condition.Kind.MESSAGE_CONTAINS:
        return f"{label} {_quoted(words_of(condition.words)) or '?'}"
    return str(label)


def duration_text(amount: int, unit: str) -> str:
    forms = {
        "seconds": ngettext("%(n)d second", "%(n)d seconds", amount),
        "minutes": ngettext("%(n)d minute", "%(n)d minutes", amount),
        "hours": ngettext("%(n)d hour", "%(n)d hours", amount),
        "days": ngettext("%(n)d day", "%(n)d days", amount),
    }
    return forms.get(unit or "minutes", forms["minutes"]) % {"n": amount}


def assign_sentence(step: Step) -> str:
    strategy = step.strategy or Step.Strategy.ROUND_ROBIN
    if strategy == Step.Strategy.SPECIFIC:
        parts = [_("assign to %(member)s") % {"member": step.member.display_name if step.member_id else "?"}]
    else:
        parts = [f"{_('assign')} {Step.Strategy(strategy).label}"]
        if strategy == Step.Strategy.PREVIOUS:
            fallback = Step.Fallback(step.fallback or Step.Fallback.ROUND_ROBIN).label
            parts[0] += " " + _("(otherwise %(fallback)s)") % {"fallback": fallback}
        if step.team_id:
            parts.append(_("among %(team)s") % {"team": step.team.name})
    if step.online_only:
        parts.append(_("online only"))
    if step.capacity:
        parts.append(ngettext("at most %(n)d open conversation each", "at most %(n)d open conversations each",
                              step.capacity) % {"n": step.capacity})
    if step.timeout_minutes:
        parts.append(_("reassigned after %(duration)s without an answer")
                     % {"duration": duration_text(step.timeout_minutes, "minutes")})
    return ", ".join(parts)


def step_sentence(step: Step) -> str:
    kind = step.kind
    if kind == Step.Kind.ASSIGN:
        return assign_sentence(step)
    if kind == Step.Kind.SEND_MESSAGE:
        if step.snippet_id:
            return _("send the snippet “%(name)s”") % {"name": step.snippet.name}
        return _("send the message “%(text)s”") % {"text": shorten(step.text)}
    if kind == Step.Kind.SEND_SURVEY:
        return _("send the survey “%(title)s”") % {"title": step.survey.title if step.survey_id else "?"}
    if kind in (Step.Kind.ADD_TAG, Step.Kind.REMOVE_TAG):
        return f"{step.get_kind_display()} “{step.tag.name if step.tag_id else '?'}”"
    if kind == Step.Kind.ADD_COMMENT:
        return _("add the internal comment “%(text)s”") % {"text": shorten(step.text)}
    if kind == Step.Kind.CLOSE:
        return _("close the conversation as “%(category)s”") % {
            "category": step.category.name if step.category_id else "?"}
    if kind == Step.Kind.WAIT:
        return _("wait %(duration)s") % {"duration": duration_text(step.duration or 0, step.unit)}
    return str(step.get_kind_display())


def shorten(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def workflow_sentence(workflow: Workflow, conditions: list[Condition] | None = None,
                      steps: list[Step] | None = None) -> str:
    """The whole workflow as one sentence (conditions and steps in their order)."""
    conditions = list(workflow.conditions.all()) if conditions is None else conditions
    steps = list(workflow.steps.all()) if steps is None else steps
    text = trigger_sentence(workflow)
    if conditions:
        text += ", " + _("if") + " " + f" {_('and')} ".join(condition_sentence(c) for c in conditions)
    if steps:
        text += ", " + (", " + _("then") + " ").join(step_sentence(s) for s in steps)
    else:
        text += ", " + _("do nothing yet")
    return text + "."
