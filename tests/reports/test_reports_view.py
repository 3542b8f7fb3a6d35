"""The Reports page: supervisors and admins only, SVG charts with a title, a description and their numbers."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from tests import factories as f
from tests.reports.helpers import closed_conversation

HOSTILE = "<img src=x onerror=alert(1)>"
URL = "/w/demo/reports/"


def test_only_supervisors_and_admins_see_reports(demo, other, client_for):
    assert client_for(demo.agent).get(URL).status_code == 403
    assert client_for(other.admin).get(URL).status_code == 404
    for member in (demo.supervisor, demo.admin):
        html = client_for(member).get(URL).content.decode()
        assert 'href="/w/demo/reports/" aria-current="page"' in html  # the nav link "Reports"
    assert "/w/demo/reports/" not in client_for(demo.agent).get("/w/demo/messages/").content.decode()


def test_charts_are_svg_images_with_a_title_a_description_and_a_table(demo, client_for):
    now = timezone.now()
    billing = f.make_category(demo.workspace, HOSTILE)
    for hours in (1, 2, 30):
        closed_conversation(demo, name=f"C{hours}", opened_at=now - timedelta(hours=hours + 1),
                            answered_after=timedelta(minutes=hours), closed_at=now - timedelta(hours=1),
                            category=billing, closer=demo.agent)
    html = client_for(demo.supervisor).get(URL).content.decode()
    svgs = re.findall(r"<svg viewBox[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) >= 3
    for svg in svgs:
        labelled = re.search(r'aria-labelledby="([^"]+) ([^"]+)"', svg)
        assert 'role="img"' in svg and labelled
        assert f'<title id="{labelled.group(1)}">' in svg and f'<desc id="{labelled.group(2)}">' in svg
    assert 'data-stat="opened">3<' in html and 'data-stat="closed">3<' in html
    assert 'data-stat="first-response">2 min<' in html  # 1, 2, 30 minutes
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<th scope=\"row\">&lt;img src=x onerror=alert(1)&gt;</th><td class=\"num\">3</td>" in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline style


def test_a_chosen_period_is_used_and_a_backwards_one_refused(demo, client_for):
    client = client_for(demo.supervisor)
    html = client.get(f"{URL}?date_from=2026-01-01&date_to=2026-01-03").content.decode()
    assert 'datetime="2026-01-01"' in html and 'datetime="2026-01-03"' in html and 'datetime="2026-01-04"' not in html
    refused = client.get(f"{URL}?date_from=2026-01-05&date_to=2026-01-01")
    assert refused.status_code == 400 and "The end date is before the start date." in refused.content.decode()
    too_long = client.get(f"{URL}?date_from=2024-01-01&date_to=2026-01-01")
    assert too_long.status_code == 400 and "at most 366 days" in too_long.content.decode()
