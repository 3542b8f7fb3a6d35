"""Geometry for the reports' server-side SVG charts (templates/reports/_*_chart.html draw them).

Plain arithmetic on numbers the database already counted: where each bar goes, how tall, which ticks.
No JavaScript and no inline style (the CSP): colours are CSS classes, positions SVG attributes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format

WIDTH = 720
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 14, 34


def nice_max(value: int) -> int:
    """A round top for the axis (1, 2, 5 × 10ⁿ), at least `value` and at least 1."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # what a pointer's tooltip (and the table beside) says


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class ColumnChart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    baseline: float = HEIGHT - BOTTOM
    left: float = LEFT
    right: float = WIDTH - RIGHT


def day_columns(days: list[date], series: list[tuple[str, str, dict[date, int]]]) -> ColumnChart:
    """Grouped columns per day: series are (name, css class, {day: count})."""
    chart = ColumnChart()
    top = nice_max(max((values.get(d, 0) for _n, _c, values in series for d in days), default=0))
    plot_w, plot_h = chart.right - chart.left, chart.baseline - TOP
    slot = plot_w / max(1, len(days))
    bar_w = max(1.0, slot * 0.8 / max(1, len(series)))
    for i, day in enumerate(days):
        for j, (name, css, values) in enumerate(series):
            n = values.get(day, 0)
            h = plot_h * n / top
            x = chart.left + i * slot + slot * 0.1 + j * bar_w
            chart.bars.append(Bar(round(x, 2), round(chart.baseline - h, 2), round(bar_w, 2), round(h, 2), css,
                                  f"{date_format(day, 'j M')}: {n} {name}"))
    chart.y_ticks = [Tick(round(chart.baseline - plot_h * k / 4, 2), str(round(top * k / 4, 1)).removesuffix(".0"))
                     for k in range(5)]
    every = max(1, math.ceil(len(days) / 8))
    chart.x_ticks = [Tick(round(chart.left + i * slot + slot / 2, 2), date_format(day, "j M"))
                     for i, day in enumerate(days) if i % every == 0]
    return chart


@dataclass
class Row:
    label: str
    value: int
    y: float
    width: float
    share: int  # percent of the total


@dataclass
class BarList:
    width: int
    height: int
    label_width: int
    bar_left: int
    rows: list[Row] = field(default_factory=list)
    row_height: int = 28


def bar_list(items: list[tuple[str, int]], *, width: int = 460, label_width: int = 150) -> BarList:
    """Horizontal bars, one per (label, count), longest first as given; labels are drawn by the template."""
    row_h = 28
    chart = BarList(width=width, height=max(row_h, row_h * len(items)) + 4, label_width=label_width,
                    bar_left=label_width + 8, row_height=row_h)
    top = max((n for _l, n in items), default=0) or 1
    total = sum(n for _l, n in items) or 1
    span = width - chart.bar_left - 48
    for i, (label, n) in enumerate(items):
        chart.rows.append(Row(label, n, i * row_h + 4, round(span * n / top, 2), round(100 * n / total)))
    return chart


@dataclass
class Segment:
    x: float
    width: float
    css: str
    label: str
    value: int
    share: int


def stacked_bar(parts: list[tuple[str, str, int]], *, width: int = 520) -> list[Segment]:
    """One 100 % bar split into (label, css class, count) segments (the NPS groups)."""
    total = sum(n for _l, _c, n in parts)
    segments, x = [], 0.0
    for label, css, n in parts:
        w = width * n / total if total else 0
        segments.append(Segment(round(x, 2), round(w, 2), css, label, n, round(100 * n / total) if total else 0))
        x += w
    return segments
