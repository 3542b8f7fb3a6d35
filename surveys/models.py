"""Surveys: questions an admin sets up, invitations sent in conversations, and the contacts' answers.

An invitation freezes the survey as it was sent (`SurveyInvitation.questions`, and `Survey.version` at the
time): the public page asks exactly those questions, and every Answer keeps the question's text and kind as
asked. Editing or removing a question later changes what the next invitations ask, never an old response.
Only the SHA-256 of an invitation's token is stored; the link in the message is the one place it lives.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from workspaces.models import TenantModel, TenantQuerySet

TITLE_MAX_CHARS = 120
QUESTION_MAX_CHARS = 300
SHORT_TEXT_MAX_CHARS = 200
LONG_TEXT_MAX_CHARS = 2000
MAX_CHOICES = 20


class SurveyQuerySet(TenantQuerySet):
    def active(self) -> SurveyQuerySet:
        return self.filter(is_active=True)


class Survey(TenantModel):
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS)
    intro = models.TextField(_("introduction"), max_length=1000, blank=True,
                             help_text=_("Shown above the questions."))
    thank_you = models.TextField(_("thank-you text"), max_length=1000,
                                 help_text=_("Shown once the answers are sent."))
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("Only active surveys can be sent from the composer."))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False,
                                          help_text=_("Goes up when the questions change after it was sent."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Question(TenantModel):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating (1–5)")
        NPS = "nps", _("Net Promoter Score (0–10)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=QUESTION_MAX_CHARS)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.TextField(_("choices"), blank=True,
                               help_text=_("Single and multiple choice: one choice per line."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SurveyInvitation(TenantModel):
    """One survey sent in one conversation: an unguessable link, answered at most once, until it expires."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations",
                               verbose_name=_("survey"))
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contact"))
    message = models.ForeignKey("inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    survey_version = models.PositiveIntegerField(_("survey version"), default=1)
    questions = models.JSONField(_("questions as sent"), default=list)
    sent_by = models.ForeignKey("workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("sent by"))
    workflow_id = models.PositiveBigIntegerField(_("workflow"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [models.Index(fields=["conversation", "created_at"], name="survey_invitation_conv")]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"


class SurveyResponse(TenantModel):
    """The answers to one invitation (one response per invitation: the OneToOne is the last guard)."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey"))
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    survey_version = models.PositiveIntegerField(_("survey version"), default=1)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The conversation's "Survey answered" line: the history links from it to these answers.
    log = models.ForeignKey("inbox.ConversationEvent", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    submitted_at = models.DateTimeField(_("answered"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["conversation", "submitted_at"], name="survey_response_conv"),
            models.Index(fields=["workspace", "submitted_at"], name="survey_response_when"),
            models.Index(fields=["contact", "submitted_at"], name="survey_response_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.submitted_at:%Y-%m-%d}"


class Answer(TenantModel):
    """One answer, with the question as it was asked (text and kind frozen)."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=Question.Kind.choices)
    question_text = models.CharField(max_length=QUESTION_MAX_CHARS)
    number = models.SmallIntegerField(null=True, blank=True)  # rating 1–5, NPS 0–10
    text = models.TextField(blank=True)  # short and long text, or the one choice
    choices = models.JSONField(default=list, blank=True)  # multiple choice

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "kind"], name="survey_answer_kind")]

    def __str__(self) -> str:
        return self.question_text

    @property
    def shown(self) -> str:
        """The answer as one line of text (numbers, the choice or choices, the text)."""
        if self.number is not None:
            return str(self.number)
        if self.choices:
            return ", ".join(self.choices)
        return self.text
