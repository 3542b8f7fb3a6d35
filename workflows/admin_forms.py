"""The workflow admin's forms: each condition and step is edited as a sentence, and checked with clear messages.

Rows render through `sentence()` (templates/admin/workflows/sentence_inline.html): the widgets sit in the
words that say what they mean — "then [assign] [by round robin] among [Support] [x] only members who are
online". static/js/workflow_admin.js shows only the words of the chosen kind; without it, all show.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workspaces.admin_scoping import WorkspaceConsistentForm

from .models import Condition, Step, Workflow

T = Workflow.Trigger
MAX_WAIT_SECONDS = 30 * 86400
TRIGGERS_WITH_MESSAGE = {T.CONVERSATION_OPENED, T.MESSAGE_RECEIVED}
NEEDS_OPEN_CONVERSATION = {Step.Kind.ASSIGN, Step.Kind.SEND_MESSAGE, Step.Kind.CLOSE}


def _labelled(form: forms.Form) -> None:
    """Every widget is named by its field's label (the sentence's words are not <label>s); the admin's
    add/change/view icons beside related fields are left out, they would break the sentence."""
    for field in form.fields.values():
        if isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        field.widget.attrs.setdefault("aria-label", str(field.label))


def _part(content, *, kinds: str = "", strategies: str = "") -> SafeString:
    attrs = format_html(' data-kinds="{}"', kinds) if kinds else ""
    if strategies:
        attrs += format_html(' data-strategies="{}"', strategies)
    return format_html('<div class="wf-part"{}>{}</div>', attrs, content)


def _errors(form: forms.Form) -> SafeString:
    items = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            items.append((f"{label}: {error}" if label and name != "__all__" else error,))
    if not items:
        return SafeString("")
    return format_html('<ul class="errorlist">{}</ul>', format_html_join("", "<li>{}</li>", items))


class WorkflowForm(WorkspaceConsistentForm):
    class Meta:
        model = Workflow
        fields = ["workspace", "name", "enabled", "position", "trigger", "trigger_words", "trigger_tag"]

    def clean(self):
        cleaned = super().clean()
        trigger = cleaned.get("trigger")
        if cleaned.get("trigger_words") and trigger != T.MESSAGE_RECEIVED:
            self.add_error("trigger_words", _("Words only apply when “a message is received”."))
        if cleaned.get("trigger_tag") and trigger != T.CONTACT_TAGGED:
            self.add_error("trigger_tag", _("A tag only applies when “a tag is added to a contact”."))
        return cleaned


class _RowForm(WorkspaceConsistentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _labelled(self)

    @property
    def trigger(self) -> str | None:
        return getattr(self.parent_instance, "trigger", None)

    def f(self, name: str) -> BoundField:
        return self[name]

    def need(self, cleaned: dict, name: str, message) -> None:
        if cleaned.get(name) in (None, "", []):
            self.add_error(name, message)


class ConditionForm(_RowForm):
    class Meta:
        model = Condition
        fields = ["position", "kind", "channel_kind", "tag", "words"]
        widgets = {"position": forms.NumberInput(attrs={"class": "wf-order", "min": 0}),
                   "words": forms.TextInput(attrs={"size": 30, "placeholder": gettext_lazy("refund, invoice")})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_kind"].choices = [("", "—"), *self.fields["channel_kind"].choices[1:]]
        self.fields["position"].required = False

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in (Condition.Kind.CHANNEL_IS, Condition.Kind.CHANNEL_IS_NOT):
            self.need(cleaned, "channel_kind", _("Choose the channel."))
        elif kind == Condition.Kind.CONTACT_HAS_TAG:
            self.need(cleaned, "tag", _("Choose the tag."))
        elif kind == Condition.Kind.MESSAGE_CONTAINS:
            if not [w for w in (cleaned.get("words") or "").split(",") if w.strip()]:
                self.add_error("words", _("Write at least one word."))
            if self.trigger and self.trigger not in TRIGGERS_WITH_MESSAGE:
                self.add_error("kind", _("“The message contains” needs a trigger with a message: “a conversation "
                                         "is opened” or “a message is received”."))
        if cleaned.get("position") is None:
            cleaned["position"] = 0
        return cleaned

    def sentence(self) -> SafeString:
        f = self.f
        return format_html(
            '<div class="wf-order-box">{}</div> {} {} {} {}', f("position"), f("kind"),
            _part(f("channel_kind"), kinds="channel_is channel_is_not"),
            _part(f("tag"), kinds="contact_has_tag"),
            _part(f("words"), kinds="message_contains"),
        ) + _errors(self)


class StepForm(_RowForm):
    class Meta:
        model = Step
        fields = ["position", "kind", "strategy", "member", "fallback", "team", "online_only", "capacity",
                  "timeout_minutes", "text", "snippet", "survey", "tag", "category", "duration", "unit"]
        widgets = {
            "position": forms.NumberInput(attrs={"class": "wf-order", "min": 0}),
            "capacity": forms.NumberInput(attrs={"class": "wf-number", "min": 1}),
            "timeout_minutes": forms.NumberInput(attrs={"class": "wf-number", "min": 1}),
            "duration": forms.NumberInput(attrs={"class": "wf-number", "min": 1}),
            "text": forms.Textarea(attrs={"rows": 2, "cols": 48}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].empty_label = _("all members")
        self.fields["member"].empty_label = "—"
        self.fields["snippet"].empty_label = "—"
        self.fields["survey"].empty_label = "—"
        self.fields["strategy"].choices = [("", "—"), *Step.Strategy.choices]
        self.fields["fallback"].choices = [("", "—"), *Step.Fallback.choices]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Step.Kind.ASSIGN:
            self.need(cleaned, "strategy", _("Choose how to assign."))
            if cleaned.get("strategy") == Step.Strategy.SPECIFIC:
                self.need(cleaned, "member", _("Choose the member to assign to."))
            if cleaned.get("strategy") == Step.Strategy.PREVIOUS and not cleaned.get("fallback"):
                cleaned["fallback"] = Step.Fallback.ROUND_ROBIN
            for name in ("capacity", "timeout_minutes"):
                if cleaned.get(name) == 0:
                    self.add_error(name, _("Use a positive number, or leave it empty."))
        elif kind == Step.Kind.SEND_MESSAGE:
            if not (cleaned.get("text") or "").strip() and not cleaned.get("snippet"):
                self.add_error("text", _("Write the message, or choose a snippet."))
            if cleaned.get("snippet") is not None and cleaned["snippet"].owner_id is not None:
                self.add_error("snippet", _("Choose a workspace snippet, not someone's personal one."))
        elif kind in (Step.Kind.ADD_TAG, Step.Kind.REMOVE_TAG):
            self.need(cleaned, "tag", _("Choose the tag."))
        elif kind == Step.Kind.ADD_COMMENT:
            if not (cleaned.get("text") or "").strip():
                self.add_error("text", _("Write the comment."))
        elif kind == Step.Kind.CLOSE:
            self.need(cleaned, "category", _("Choose the closing category."))
            if not (cleaned.get("text") or "").strip():
                self.add_error("text", _("Write the closing note's summary."))
        elif kind == Step.Kind.WAIT:
            amount = cleaned.get("duration")
            if not amount or amount <= 0:
                self.add_error("duration", _("A wait step needs a positive duration."))
            elif amount * Step.UNIT_SECONDS.get(cleaned.get("unit") or "minutes", 60) > MAX_WAIT_SECONDS:
                self.add_error("duration", _("Wait at most 30 days."))
            if not cleaned.get("unit"):
                cleaned["unit"] = Step.Unit.MINUTES
        elif kind == Step.Kind.SEND_SURVEY:
            self.need(cleaned, "survey", _("Choose the survey."))
        if kind in NEEDS_OPEN_CONVERSATION and self.trigger == T.CONVERSATION_CLOSED:
            self.add_error("kind", _("This step needs an open conversation, and this workflow runs when one is "
                                     "closed."))
        return cleaned

    def sentence(self) -> SafeString:
        f, a = self.f, "assign"
        parts = [
            format_html('<div class="wf-order-box">{}</div>', f("position")), f("kind"),
            _part(f("strategy"), kinds=a),
            _part(f("member"), kinds=a, strategies="specific"),
            _part(format_html("{} {}", _("otherwise"), f("fallback")), kinds=a, strategies="previous_assignee"),
            _part(format_html("{} {}", _("among"), f("team")), kinds=a,
                  strategies="round_robin fewest_open previous_assignee"),
            _part(format_html('<label class="wf-check">{} {}</label>', f("online_only"),
                              _("only members who are online")), kinds=a),
            _part(format_html("· {} {} {}", _("at most"), f("capacity"), _("open conversations each")), kinds=a),
            _part(format_html("· {} {} {}", _("reassign when there is no answer within"), f("timeout_minutes"),
                              _("minutes")), kinds=a),
            _part(format_html("{} {}", _("as"), f("category")), kinds="close"),
            _part(format_html("{}{}{}", _part(_("saying"), kinds="send_message add_comment"),
                              _part(_("with the summary"), kinds="close"), f("text")),
                  kinds="send_message add_comment close"),
            _part(format_html("{} {}", _("or the snippet"), f("snippet")), kinds="send_message"),
            _part(f("survey"), kinds="send_survey"),
            _part(f("tag"), kinds="add_tag remove_tag"),
            _part(format_html("{} {}", f("duration"), f("unit")), kinds="wait"),
        ]
        return format_html_join(" ", "{}", ((p,) for p in parts)) + _errors(self)
