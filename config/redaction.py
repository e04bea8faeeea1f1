"""What never reaches a log line or an auditor's screen in clear: entry-pass (check-in) codes.

A check-in code opens a citizen's entry pass (``/pass/<code>``) and admits its
holder at the door, so a code in a log is a ticket. gunicorn's access and error
logs (gunicorn.conf.py), the app's structlog lines and the standard-library
loggers (app/logs.py) pass every line through :func:`redact`; the console shows
auditors :func:`mask_pass_code`. This module sits in ``config`` because the
gunicorn master imports it before any of the app: it must import nothing but
the standard library.
"""

from __future__ import annotations

import logging
import re

# The code in a pass link, wherever it appears: a path, a full URL, a logged request line.
PASS_PATH = re.compile(r"(/pass/)[^/?#\s\"']+")
HIDDEN = "***"


def redact(text: str) -> str:
    """``text`` with every pass link's code replaced by ``***``."""
    return PASS_PATH.sub(lambda match: match.group(1) + HIDDEN, text) if "/pass/" in text else text


def mask_pass_code(code: str | None) -> str:
    """``K7****`` style: the first two characters, enough to tell two passes apart, not to open one."""
    if not code:
        return ""
    return code[:2] + "*" * max(len(code) - 2, 1)


class RedactingFilter(logging.Filter):
    """A standard-library logging filter that redacts pass codes from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the message once, redact it, and keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
