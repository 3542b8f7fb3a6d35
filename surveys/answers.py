"""Questions as sent (the invitation's frozen copy) and the validation of a contact's answers to them.

Pure functions: the public page uses them to show errors next to each question, and `survey_answer`
validates again before storing, so nothing invalid is stored whoever calls the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kernel.errors import ParleyError
from kernel.text import clean_text

from .models import LONG_TEXT_MAX_CHARS, MAX_CHOICES, SHORT_TEXT_MAX_CHARS, Question

FORM_ERROR = "__all__"
RANGES = {Question.Kind.RATING: (1, 5), Question.Kind.NPS: (0, 10)}
TEXT_LIMITS = {Question.Kind.SHORT_TEXT: SHORT_TEXT_MAX_CHARS, Question.Kind.LONG_TEXT: LONG_TEXT_MAX_CHARS}


def freeze(questions: Iterable[Question]) -> list[dict]:
    """The questions as an invitation keeps them: what the public page asks and the answers record."""
    return [
        {"key": f"q{q.pk}", "question_id": q.pk, "position": i, "kind": q.kind, "text": q.text,
         "help": q.help_text, "required": q.required,
         "choices": q.choice_list[:MAX_CHOICES] if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) else []}
        for i, q in enumerate(questions)
    ]


@dataclass(frozen=True, slots=True)
class CleanAnswer:
    question_id: int | None
    position: int
    kind: str
    question_text: str
    number: int | None = None
    text: str = ""
    choices: tuple[str, ...] = ()


def _values(data: Mapping, key: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    values = getlist(key) if getlist else data.get(key, [])
    if isinstance(values, str):
        values = [values]
    return [str(v) for v in values]


def _one(question: dict, values: Sequence[str]) -> tuple[CleanAnswer | None, str]:
    """(the answer or None when left empty, an error message or "")."""
    kind, required = question["kind"], question.get("required", False)
    common = {"question_id": question.get("question_id"), "position": question.get("position", 0), "kind": kind,
              "question_text": question["text"]}
    filled = [v.strip() for v in values if v and v.strip()]
    if kind in RANGES:
        low, high = RANGES[kind]
        message = _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        if not filled:
            return None, message if required else ""
        if len(filled) > 1 or not filled[0].isdigit() or not low <= int(filled[0]) <= high:
            return None, message
        return CleanAnswer(number=int(filled[0]), **common), ""
    if kind == Question.Kind.SINGLE:
        if not filled:
            return None, _("Choose one of the options.") if required else ""
        if len(filled) > 1 or filled[0] not in question["choices"]:
            return None, _("Choose one of the options.")
        return CleanAnswer(text=filled[0], **common), ""
    if kind == Question.Kind.MULTIPLE:
        chosen = list(dict.fromkeys(filled))
        if not chosen:
            return None, _("Choose at least one option.") if required else ""
        if any(choice not in question["choices"] for choice in chosen):
            return None, _("Choose among the options shown.")
        ordered = tuple(c for c in question["choices"] if c in chosen)
        return CleanAnswer(choices=ordered, **common), ""
    if kind in TEXT_LIMITS:
        limit = TEXT_LIMITS[kind]
        try:
            text = clean_text(values[0] if values else "", limit=limit)
        except ParleyError:
            return None, _("Write at most %(limit)d characters.") % {"limit": limit}
        if kind == Question.Kind.SHORT_TEXT:
            text = " ".join(text.split())
        if not text:
            return None, _("Write an answer to this question.") if required else ""
        return CleanAnswer(text=text, **common), ""
    return None, ""  # a kind this version does not know: nothing to ask


def clean_answers(questions: Sequence[dict], data: Mapping) -> tuple[list[CleanAnswer], dict[str, str]]:
    """Validate submitted values (a QueryDict, or {key: [values]}) against the questions as sent.

    Returns (answers, errors): errors maps a question's key (or FORM_ERROR) to a message for the contact.
    An empty submission is an error even when no question is required: a response says something.
    """
    answers: list[CleanAnswer] = []
    errors: dict[str, str] = {}
    for question in questions:
        answer, error = _one(question, _values(data, question["key"]))
        if error:
            errors[question["key"]] = error
        elif answer is not None:
            answers.append(answer)
    if not answers and not errors:
        errors[FORM_ERROR] = _("Answer at least one question before sending.")
    return answers, errors
