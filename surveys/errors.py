"""The surveys' refusals: safe to show as they are."""

from __future__ import annotations

from inbox.errors import InboxError


class SurveyError(InboxError):
    """A survey rule was broken (a closed conversation, a survey without questions); the message is safe to show."""


class InvitationUnavailable(SurveyError):
    """The link cannot take answers: `reason` is "unknown", "expired" or "answered". Nothing is stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class AnswersInvalid(SurveyError):
    """The answers broke the questions' rules: `errors` maps a question's key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
