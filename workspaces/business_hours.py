"""A workspace's business hours: time zone, weekly opening hours, holidays (kept in Workspace.settings).

Stored as plain JSON under settings["business_hours"]:

    {"time_zone": "Europe/Madrid",
     "weekly": {"0": [["09:00", "14:00"], ["16:00", "19:00"]], "4": [["09:00", "15:00"]]},   # 0 = Monday
     "holidays": ["2026-12-25", "2027-01-01"]}

A day missing from "weekly" is closed; a holiday is closed all day. A workspace that never set its hours
(no time zone) is open around the clock: "within business hours" holds, "outside" never does.
Edited in the admin (the workspace's change page); read by the workflows' conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.translation import gettext as _

SETTINGS_KEY = "business_hours"
WEEKDAYS = range(7)  # Monday … Sunday, as datetime.weekday()
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
MAX_RANGES_PER_DAY = 4
MAX_HOLIDAYS = 200


class BusinessHoursError(ValueError):
    """A value the admin typed cannot be read; the message says why (shown on the field)."""


@dataclass(frozen=True)
class BusinessHours:
    time_zone: str = ""
    weekly: dict[int, tuple[tuple[time, time | None], ...]] = field(default_factory=dict)  # None end: midnight
    holidays: frozenset[date] = frozenset()

    @property
    def configured(self) -> bool:
        return bool(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (an aware datetime) falls within the business hours, in the workspace's time zone."""
        if not self.configured:
            return True
        local = at.astimezone(ZoneInfo(self.time_zone))
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now and (end is None or now < end) for start, end in self.weekly.get(local.weekday(), ()))

    def to_settings(self) -> dict:
        return {
            "time_zone": self.time_zone,
            "weekly": {str(day): [[_fmt(start), _fmt(end)] for start, end in ranges]
                       for day, ranges in sorted(self.weekly.items()) if ranges},
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }


def _fmt(value: time | None) -> str:
    return "24:00" if value is None else value.strftime("%H:%M")


def _clock(hours: str, minutes: str, *, end: bool) -> time | None:
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return None
    if h > 23 or m > 59:
        raise BusinessHoursError(_("%(value)s is not a time of day.") % {"value": f"{hours}:{minutes}"})
    return time(h, m)


def parse_day(text: str) -> tuple[tuple[time, time | None], ...]:
    """'09:00-14:00, 16:00-19:00' → ranges; blank → closed that day. Raises BusinessHoursError."""
    ranges: list[tuple[time, time | None]] = []
    for part in filter(None, (p.strip() for p in (text or "").replace(";", ",").split(","))):
        match = _RANGE.match(part)
        if not match:
            raise BusinessHoursError(_("Write the hours as 09:00-17:00 (several separated by commas)."))
        start = _clock(match[1], match[2], end=False)
        finish = _clock(match[3], match[4], end=True)
        if start is None or (finish is not None and finish <= start):
            raise BusinessHoursError(_("%(range)s ends before it starts (use 00:00-24:00 for the whole day).")
                                     % {"range": part})
        ranges.append((start, finish))
    if len(ranges) > MAX_RANGES_PER_DAY:
        raise BusinessHoursError(_("At most %(n)d opening ranges per day.") % {"n": MAX_RANGES_PER_DAY})
    ranges.sort(key=lambda r: r[0])
    for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:], strict=False):
        if e1 is None or e1 > s2:
            raise BusinessHoursError(_("The opening ranges overlap."))
    return tuple(ranges)


def format_day(ranges) -> str:
    return ", ".join(f"{_fmt(start)}-{_fmt(end)}" for start, end in ranges)


def parse_holidays(text: str) -> frozenset[date]:
    """One date (YYYY-MM-DD) per line or separated by commas. Raises BusinessHoursError."""
    days: set[date] = set()
    for part in filter(None, (p.strip() for p in re.split(r"[\n,]+", text or ""))):
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise BusinessHoursError(_("%(value)s is not a date like 2026-12-25.") % {"value": part[:20]}) from None
    if len(days) > MAX_HOLIDAYS:
        raise BusinessHoursError(_("At most %(n)d holidays.") % {"n": MAX_HOLIDAYS})
    return frozenset(days)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if name not in _zones():
        raise BusinessHoursError(_("%(value)s is not a time zone Parley knows.") % {"value": name[:60]})
    return name


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(_zones()) if "/" in name or name == "UTC"]


def from_settings(settings: dict | None) -> BusinessHours:
    """The hours stored in a workspace's settings; anything unreadable counts as not configured."""
    raw = (settings or {}).get(SETTINGS_KEY) or {}
    try:
        tz = check_time_zone(raw.get("time_zone") or "")
        weekly = {int(day): parse_day(", ".join(f"{a}-{b}" for a, b in ranges))
                  for day, ranges in (raw.get("weekly") or {}).items() if int(day) in WEEKDAYS}
        holidays = parse_holidays("\n".join(raw.get("holidays") or []))
    except (BusinessHoursError, ZoneInfoNotFoundError, TypeError, ValueError, AttributeError):
        return BusinessHours()
    return BusinessHours(time_zone=tz, weekly=weekly, holidays=holidays)


def for_workspace(workspace) -> BusinessHours:
    return from_settings(workspace.settings)
