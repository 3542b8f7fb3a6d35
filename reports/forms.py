"""The reports page's period (GET)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .metrics import MAX_DAYS, Period, default_period


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("Until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_to", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self) -> Period:
        """The chosen period; the last 30 days when none (or an invalid one) is given."""
        default = default_period()
        data = getattr(self, "cleaned_data", None)
        if not data or self.errors:
            return default
        end = data.get("date_to") or default.end
        start = data.get("date_from") or (end - (default.end - default.start))
        return Period(start, end) if start <= end else default
