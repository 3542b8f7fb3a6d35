"""Surveys in the (workspace-scoped) admin: a survey with its ordered questions inline; responses read-only.

Changing the questions of a survey that was already sent raises its version: invitations keep the
questions they were sent with, and answers keep each question's text as asked.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from workspaces.admin_scoping import WorkspaceConsistentForm, WorkspaceScopedAdmin, WorkspaceScopedInline

from .models import MAX_CHOICES, Answer, Question, Survey, SurveyResponse
from .services import survey_questions_changed

CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)


class QuestionForm(WorkspaceConsistentForm):
    class Meta:
        model = Question
        fields = ["position", "kind", "text", "help_text", "required", "choices"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3, "cols": 30}),
                   "text": forms.TextInput(attrs={"size": 40})}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        lines = [line.strip() for line in (cleaned.get("choices") or "").splitlines() if line.strip()]
        if kind in CHOICE_KINDS:
            if len(lines) < 2:
                self.add_error("choices", _("Give at least two choices, one per line."))
            elif len(lines) > MAX_CHOICES:
                self.add_error("choices", _("At most %(n)d choices.") % {"n": MAX_CHOICES})
            elif len(set(lines)) != len(lines):
                self.add_error("choices", _("Each choice once."))
            cleaned["choices"] = "\n".join(lines)
        elif lines:
            self.add_error("choices", _("Only single and multiple choice questions have choices."))
        return cleaned


class QuestionInline(WorkspaceScopedInline):
    model = Question
    form = QuestionForm
    fields = ["position", "kind", "text", "help_text", "required", "choices"]
    ordering = ["position", "id"]
    verbose_name = _("question")
    verbose_name_plural = _("questions (asked in this order)")


@admin.register(Survey)
class SurveyAdmin(WorkspaceScopedAdmin):
    list_display = ["title", "is_active", "question_count", "response_count", "version", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["title"]
    fields = ["workspace", "title", "intro", "thank_you", "is_active", "version"]
    readonly_fields = ["version"]
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _questions=Count("questions", distinct=True), _responses=Count("responses", distinct=True))

    @admin.display(description=_("questions"), ordering="_questions")
    def question_count(self, obj: Survey) -> int:
        return obj._questions

    @admin.display(description=_("responses"), ordering="_responses")
    def response_count(self, obj: Survey) -> int:
        return obj._responses

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = any(formset.has_changed() for formset in formsets)
        if change and changed:
            survey_questions_changed(workspace=form.instance.workspace, survey_id=form.instance.pk)


class AnswerInline(WorkspaceScopedInline):
    model = Answer
    fields = ["question_text", "shown"]
    readonly_fields = ["question_text", "shown"]
    can_delete = False
    verbose_name = _("answer")
    verbose_name_plural = _("answers")

    @admin.display(description=_("answer"))
    def shown(self, obj: Answer) -> str:
        return obj.shown

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(WorkspaceScopedAdmin):
    """What contacts answered: read-only (answers are the contact's words, never edited)."""

    list_display = ["survey", "contact", "submitted_at", "survey_version"]
    list_select_related = ["survey", "contact"]
    list_filter = ["survey"]
    date_hierarchy = "submitted_at"
    fields = ["survey", "contact", "conversation", "survey_version", "language", "submitted_at"]
    readonly_fields = fields
    inlines = [AnswerInline]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
