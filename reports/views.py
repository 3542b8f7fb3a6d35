"""The Reports page: a period's numbers as server-side SVG charts, each with its numbers in a table beside."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from workspaces.access import workspace_member_required

from . import charts
from .forms import PeriodForm
from .metrics import build_report


@workspace_member_required(review=True)
@require_GET
def reports(request: HttpRequest, slug: str) -> HttpResponse:
    """Supervisors and admins: opened/closed per day, closings by category and agent, medians, ratings, NPS."""
    form = PeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    period = form.period() if request.GET else PeriodForm().period()
    report = build_report(workspace=request.workspace, period=period, no_category=_("No category"))
    days = period.days
    context = {
        "nav": "reports", "form": form, "period": period, "report": report,
        "per_day": charts.day_columns(days, [(_("opened"), "bar-opened", report.opened_per_day),
                                             (_("closed"), "bar-closed", report.closed_per_day)]),
        "day_rows": [(day, report.opened_per_day.get(day, 0), report.closed_per_day.get(day, 0)) for day in days],
        "by_category": charts.bar_list(report.closed_by_category),
        "per_agent": charts.bar_list(report.closed_per_agent),
        "ratings": charts.bar_list([(str(score), report.ratings[score]) for score in range(5, 0, -1)],
                                   label_width=40),
        "nps_segments": charts.stacked_bar([
            (_("Detractors (0–6)"), "nps-detractors", report.nps.get("detractors", 0)),
            (_("Passives (7–8)"), "nps-passives", report.nps.get("passives", 0)),
            (_("Promoters (9–10)"), "nps-promoters", report.nps.get("promoters", 0)),
        ]),
    }
    return render(request, "reports/reports.html", context, status=200 if valid else 400)
