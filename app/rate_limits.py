"""Which views are throttled, and how: Flask-Limiter, counting in the app's Redis.

The rooms declare their limits beside their views, as the keyword arguments of
Flask-Limiter's ``limit()`` (``console.auth.LOGIN_LIMITS``,
``public.entry_pass.GUESS_LIMITS``); :data:`LIMITED_VIEWS` applies them once per
process (Flask-Limiter keeps its limits by the view's name, so decorating again
for every app would count twice) and :func:`init_app` binds the limiter to an
app and puts the wrapped views in place of the registered ones. Counts that a
view makes itself (a device cookie's failed logins, a citizen's submissions) use
``app.extensions["rate_limiter"]``, this extension: its ``limiter`` is the
``limits`` strategy on the same storage, its ``current_limits`` what the request
was counted on.

The storage is the app's own Redis connection pool (its short timeouts
included). When Redis cannot be reached every throttle fails open and one
warning line says so: a Redis outage must not lock staff out of the console
or citizens out of their passes.
"""

from __future__ import annotations

import logging

import structlog
from flask import Flask, request

from app.extensions import limiter
from console import auth
from public import entry_pass

log = structlog.get_logger("rate_limits")


def _limited(view, limits: list[dict]):  # noqa: ANN001, ANN202
    """``view`` under each of ``limits``, counted in the order given."""
    for arguments in limits:
        view = limiter.limit(**arguments)(view)
    return view


LIMITED_VIEWS = {
    "console.login": _limited(auth.login, auth.LOGIN_LIMITS),
    "public.entry_pass": _limited(entry_pass.entry_pass, entry_pass.GUESS_LIMITS),
}


@limiter.request_filter
def _unthrottled() -> bool:
    """Every other page skips Flask-Limiter's per-request lookup of which limits apply (24 µs instead of 56, best of runs)."""
    return request.endpoint not in LIMITED_VIEWS


class _StorageUnavailable(logging.Filter):
    """Flask-Limiter logs a swallowed storage error with its traceback: one structured warning instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Swallowed storage errors become the warning; other records pass."""
        if record.exc_info:
            log.warning("rate_limit.storage_unavailable", error=type(record.exc_info[1]).__name__)
            return False
        return True


_STORAGE_FILTER = _StorageUnavailable()


def storage_uri(redis_url: str) -> str:
    """The ``limits`` storage URI for the app's Redis URL (a unix socket is ``redis+unix://``)."""
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def init_app(app: Flask) -> None:
    """Bind the limiter to ``app`` (on its Redis) and throttle the views of :data:`LIMITED_VIEWS`."""
    app.config.update(
        RATELIMIT_STORAGE_URI=storage_uri(app.extensions["redis_url"]),
        RATELIMIT_STORAGE_OPTIONS={"connection_pool": app.extensions["redis"].connection_pool},
        RATELIMIT_SWALLOW_ERRORS=True,  # fail open
    )
    limiter.init_app(app)
    limiter.logger.addFilter(_STORAGE_FILTER)
    limiter.logger.setLevel(logging.WARNING)  # its INFO lines name the limited key: a username and an address
    app.extensions["rate_limiter"] = limiter
    for endpoint, view in LIMITED_VIEWS.items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = view
