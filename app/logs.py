"""structlog set-up: readable lines in development, JSON in production.

A log line never carries what a person typed. An exception's message often does
(openpyxl's ``IllegalCharacterError`` quotes the cell, a database error its
parameters and the conflicting key), so tracebacks are written with their frames
and exception types but the messages withheld (:func:`scrub_exception`), except
for the kinds whose messages speak only of the infrastructure (a refused
connection, a missing attribute).

Every line, structlog's and the standard library's, has entry-pass codes masked
(``/pass/***``, config/redaction.py): a logged code is a ticket.
"""

from __future__ import annotations

import logging
import sys
import traceback

import redis
import structlog

from config.redaction import RedactingFilter, redact

_done = False


def processors(app_env: str) -> list:
    """The structlog chain: context, level, UTC time, the scrubbed traceback, then the renderer."""
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if app_env == "production"
                else structlog.dev.ConsoleRenderer(colors=False))
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub_exception,
        structlog.processors.format_exc_info,
        redact_pass_codes,
        renderer,
    ]


def configure(app_env: str) -> None:
    """Configure structlog and the standard logging bridge once per process."""
    global _done
    if _done:
        return
    _done = True
    structlog.configure(
        processors=processors(app_env),
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


# Exceptions whose messages name hosts, files, attributes or modules, never a person's text.
MESSAGE_KEPT = (OSError, redis.RedisError, AttributeError, NameError, ImportError, NotImplementedError,
                RecursionError, MemoryError)
WITHHELD = "（异常信息未记录：可能含个人信息）"
CAUSED = "\nThe above exception was the direct cause of the following exception:\n\n"
HANDLING = "\nDuring handling of the above exception, another exception occurred:\n\n"


def scrub_exception(_logger, _method: str, event_dict: dict) -> dict:
    """Replace ``exc_info`` by the traceback with exception messages withheld (see the module's docstring)."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if isinstance(exc_info, BaseException):
        error = exc_info
    elif isinstance(exc_info, tuple):
        error = exc_info[1]
    else:
        error = sys.exc_info()[1]
    if error is not None:
        event_dict["exception"] = "".join(_chain_lines(error))
    return event_dict


def _chain_lines(error: BaseException) -> list[str]:
    """The lines Python would print for ``error`` and its causes, oldest first, messages scrubbed."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = current.__cause__
        context = None if current.__suppress_context__ else current.__context__
        link = CAUSED if cause is not None else HANDLING if context is not None else ""
        chain.append((current, link))
        current = cause if cause is not None else context
    lines: list[str] = []
    for index in range(len(chain) - 1, -1, -1):  # oldest first, as Python prints them
        item = chain[index][0]
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(item.__traceback__))
        lines.append(f"{_describe(item)}\n")
        if index:
            lines.append(chain[index - 1][1])  # how the newer exception followed this one
    return lines


def _describe(error: BaseException) -> str:
    """``module.Type: message`` for the kinds whose messages are safe, else the type alone (and the driver's)."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, MESSAGE_KEPT):
        return f"{kind}: {error}"
    original = getattr(error, "orig", None)  # SQLAlchemy's DBAPIError: the driver's error type tells enough
    if isinstance(original, BaseException):
        kind += f" ({type(original).__module__}.{type(original).__qualname__})"
    return f"{kind}: {WITHHELD}"
