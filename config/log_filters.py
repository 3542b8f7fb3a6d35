"""Logging filters used by settings.LOGGING."""

from __future__ import annotations

import logging


class QuietClientErrors(logging.Filter):
    """django.request records of 4xx answers keep their one line but lose the traceback.

    Django attaches the exception to "Forbidden (Permission denied): /path" (and to other 4xx it
    raises), so every 403 put a full traceback in the log, which reads like a crash. A 403 or 404 is an
    ordinary answer; a 5xx keeps its traceback and stays an ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True
