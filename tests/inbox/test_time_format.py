"""One time format per language everywhere a time is shown: English "9:18 PM", Spanish "21:18"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from inbox.templatetags.inbox_tags import short_time
from tests import factories as f

EN_CLOCK = r"(1[0-2]|[1-9]):[0-5]\d [AP]M"  # "9:18 PM": 12-hour, no leading zero
ES_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"  # "21:18", "09:05"


def _today_at(hour: int, minute: int):
    return timezone.localtime(timezone.now()).replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.mark.parametrize(("language", "evening", "morning"), [("en", "9:18 PM", "9:05 AM"), ("es", "21:18", "09:05")])
def test_todays_times_follow_the_language(language, evening, morning):
    with translation.override(language):
        assert short_time(_today_at(21, 18)) == evening
        assert short_time(_today_at(9, 5)) == morning
        # Django's own formats: the same with the `time` filter every template may use
        assert Template("{{ t|time }}").render(Context({"t": _today_at(21, 18)})) == evening


def test_older_times_show_the_day_instead():
    long_ago = timezone.now() - timedelta(days=400)
    with translation.override("en"):
        assert short_time(long_ago) == f"{long_ago.day} {long_ago:%b} {long_ago.year}"


@pytest.mark.parametrize(("language", "pattern"), [("en", EN_CLOCK), ("es", ES_CLOCK)])
def test_queue_and_history_show_the_same_format(client_for, demo, language, pattern):
    conversation = f.make_conversation(demo.workspace, text="Hola")
    demo.agent.user.language = language
    demo.agent.user.save(update_fields=["language"])
    html = client_for(demo.agent).get(f"/w/{demo.slug}/messages/{conversation.pk}/").content.decode()
    queue = client_for(demo.agent).get(f"/w/{demo.slug}/messages/").content.decode()
    times = re.findall(r"<time datetime=\"[^\"]+\">([^<]*)</time>", html + queue)
    assert times and all(re.fullmatch(pattern, t) for t in times), times
