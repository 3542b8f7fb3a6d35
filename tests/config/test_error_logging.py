"""An ordinary 403 or 404 is one warning line in the log; a real 500 keeps its traceback, as an error."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.urls("tests.config.error_urls")


def _records(caplog, path: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and path in r.getMessage()]


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/forbidden/", 403, "Forbidden (Permission denied): /forbidden/"),
    ("/missing/", 404, "Not Found: /missing/"),
    ("/nowhere/", 404, "Not Found: /nowhere/"),
])
def test_an_ordinary_403_or_404_logs_one_warning_without_a_traceback(caplog, settings, path, status, message):
    settings.DEBUG = False
    with caplog.at_level(logging.INFO):
        assert Client().get(path).status_code == status
    [record] = _records(caplog, path)
    assert (record.levelname, record.getMessage()) == ("WARNING", message)
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_real_500_is_still_an_error_with_its_traceback(caplog, settings):
    settings.DEBUG = False
    with caplog.at_level(logging.INFO):
        assert Client(raise_request_exception=False).get("/broken/").status_code == 500
    [record] = _records(caplog, "/broken/")
    assert record.levelname == "ERROR" and record.exc_info is not None
    assert "Traceback" in caplog.text and "RuntimeError: a real bug" in caplog.text
