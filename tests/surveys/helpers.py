"""Surveys in one line for tests."""

from __future__ import annotations

from surveys.models import Question, Survey

DEFAULT_QUESTIONS = [
    ("rating", "How satisfied are you?", True, ""),
    ("long_text", "Anything we could do better?", False, ""),
]


def make_survey(workspace, title: str = "How did we do?", questions=DEFAULT_QUESTIONS, **fields) -> Survey:
    fields.setdefault("thank_you", "Thanks a lot!")
    survey = Survey.objects.create(workspace=workspace, title=title, **fields)
    for i, (kind, text, required, choices) in enumerate(questions):
        Question.objects.create(workspace=workspace, survey=survey, position=i, kind=kind, text=text,
                                required=required, choices=choices)
    return survey


def key(survey: Survey, position: int) -> str:
    """The form field name of the survey's question at `position` (0-based)."""
    return f"q{survey.questions.order_by('position', 'id')[position].pk}"


ALL_KINDS = [
    ("rating", "Rate us", True, ""),
    ("nps", "Would you recommend us?", False, ""),
    ("single", "Which channel?", False, "Chat\nPhone\nEmail"),
    ("multiple", "What did you like?", False, "Speed\nKindness\nClarity"),
    ("short_text", "Your name", False, ""),
    ("long_text", "Comments", False, ""),
]
