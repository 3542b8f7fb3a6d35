"""The review page's filters: a GET form whose choices come from one query (review_selectors.review_choices)."""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kernel.text import clean_line

from .review_selectors import ReviewChoices, ReviewFilters

QUERY_MAX_CHARS = 200


def _choice_field(label, choices) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=False, coerce=int, empty_value=None,
                                  choices=[("", _("Any")), *((c.pk, c.name) for c in choices)])


class ReviewFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Closed from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("Closed until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    q = forms.CharField(label=_("Search contact or summary"), required=False, max_length=QUERY_MAX_CHARS)

    def __init__(self, data, *, choices: ReviewChoices):
        super().__init__(data)
        self.fields["category"] = _choice_field(_("Category"), choices.categories)
        self.fields["closed_by"] = _choice_field(_("Closed by"), choices.members)
        self.fields["assignee"] = _choice_field(_("Assignee"), choices.members)
        self.fields["channel"] = _choice_field(_("Channel"), choices.channels)
        self.order_fields(["q", "category", "closed_by", "assignee", "channel", "date_from", "date_to"])

    def clean_q(self) -> str:
        return clean_line(self.cleaned_data.get("q"), limit=QUERY_MAX_CHARS)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> ReviewFilters:
        """The valid filters (call after is_valid(): a field with an error filters nothing)."""
        data = getattr(self, "cleaned_data", {})
        return ReviewFilters(
            date_from=data.get("date_from"), date_to=data.get("date_to"), category_id=data.get("category"),
            closed_by_id=data.get("closed_by"), assignee_id=data.get("assignee"), channel_id=data.get("channel"),
            q=data.get("q") or "",
        )

    def query_string(self) -> str:
        """The filters as they were given, for the pager and the export link."""
        query = QueryDict(mutable=True)
        for name in ("date_from", "date_to", "category", "closed_by", "assignee", "channel", "q"):
            value = self.data.get(name, "")
            if value:
                query[name] = value
        return query.urlencode()
