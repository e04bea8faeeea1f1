"""structlog set-up: readable lines in development, JSON in production.

Every line, structlog's and the standard library's, has entry-pass codes masked
(``/pass/***``, config/redaction.py): a logged code is a ticket.
"""

from __future__ import annotations

import logging
import sys

import structlog

from config.redaction import RedactingFilter, redact

_done = False


def configure(app_env: str) -> None:
    """Configure structlog and the standard logging bridge once per process."""
    global _done
    if _done:
        return
    _done = True
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if app_env == "production" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_pass_codes,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # werkzeug's request lines and every other library's
        handler.addFilter(RedactingFilter())


def redact_pass_codes(_logger, _name: str, event_dict: dict) -> dict:
    """structlog processor: mask pass codes in every text value (a path, a URL, a traceback)."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "/pass/" in value:
            event_dict[key] = redact(value)
    return event_dict
