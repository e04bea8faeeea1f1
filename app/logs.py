"""structlog set-up: readable lines in development, JSON in production."""

from __future__ import annotations

import logging
import sys

import structlog

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
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
