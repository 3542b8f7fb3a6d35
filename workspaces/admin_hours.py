"""The workspace's change form in the admin, with its business hours as readable fields (not raw JSON)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import business_hours as bh
from .admin_scoping import WorkspaceConsistentForm
from .models import Workspace

DAY_LABELS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
DAY_FIELDS = [f"hours_{day}" for day in bh.WEEKDAYS]
HOURS_FIELDS = ["time_zone", *DAY_FIELDS, "holidays"]
AGENTS_CAN_REVIEW = "agents_can_review"  # Workspace.settings key read by reports.access


def _day_field(day: int) -> forms.CharField:
    return forms.CharField(
        label=DAY_LABELS[day], required=False, max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("closed"), "size": 28}))


class WorkspaceForm(WorkspaceConsistentForm):
    """Name and slug, plus business hours: a time zone, each weekday's opening ranges and holidays.

    Saved into Workspace.settings["business_hours"]; the rest of settings is kept as it is.
    """

    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False,
        help_text=_("Business hours are read in this time zone. Empty: no business hours (always open)."))
    holidays = forms.CharField(
        label=_("Holidays"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 24}),
        help_text=_("Closed all day: one date per line, like 2026-12-25."))
    agents_can_review = forms.BooleanField(
        label=_("Agents see Review"), required=False,
        help_text=_("Let agents open the Review page of closed conversations (supervisors and admins always can)."))
    hours_0, hours_1, hours_2, hours_3 = _day_field(0), _day_field(1), _day_field(2), _day_field(3)
    hours_4, hours_5, hours_6 = _day_field(4), _day_field(5), _day_field(6)

    class Meta:
        model = Workspace
        fields = ["name", "slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("— none —")), *bh.time_zone_choices()]
        hours = bh.from_settings(self.instance.settings if self.instance.pk else {})
        self.initial.setdefault(AGENTS_CAN_REVIEW, bool((self.instance.settings or {}).get(AGENTS_CAN_REVIEW)))
        self.initial.setdefault("time_zone", hours.time_zone)
        self.initial.setdefault("holidays", "\n".join(d.isoformat() for d in sorted(hours.holidays)))
        for day, name in zip(bh.WEEKDAYS, DAY_FIELDS, strict=True):
            self.initial.setdefault(name, bh.format_day(hours.weekly.get(day, ())))

    def _parsed(self, name: str, parse):
        try:
            return parse(self.cleaned_data.get(name) or "")
        except bh.BusinessHoursError as exc:
            self.add_error(name, str(exc))
            return None

    def clean(self):
        cleaned = super().clean()
        time_zone = self._parsed("time_zone", bh.check_time_zone)
        weekly = {day: self._parsed(name, bh.parse_day) for day, name in zip(bh.WEEKDAYS, DAY_FIELDS, strict=True)}
        holidays = self._parsed("holidays", bh.parse_holidays)
        if any(ranges for ranges in weekly.values()) and not time_zone and "time_zone" not in self.errors:
            self.add_error("time_zone", _("Choose the time zone the opening hours are in."))
        if not self.errors:
            self._hours = bh.BusinessHours(time_zone=time_zone or "", holidays=holidays or frozenset(),
                                           weekly={day: ranges for day, ranges in weekly.items() if ranges})
        return cleaned

    def save(self, commit=True):
        workspace = super().save(commit=False)
        settings = dict(workspace.settings or {})
        settings[bh.SETTINGS_KEY] = self._hours.to_settings()
        settings[AGENTS_CAN_REVIEW] = bool(self.cleaned_data.get(AGENTS_CAN_REVIEW))
        workspace.settings = settings
        if commit:
            workspace.save()
        return workspace
