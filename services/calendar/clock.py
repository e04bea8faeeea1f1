"""The one clock of the service.

Nothing else reads the system time: services take ``now`` as an argument, edges
call :func:`now` once per request or job. Tests move time with :func:`frozen`,
and operators with ``flask scheduler tick --at`` or ``CLOCK_NOW`` (a trial on a
moved clock). Business rules read :func:`now`; what others sign with the real
time (WeChat's ``timestamp`` on every push) is checked against :func:`wall_time`,
which neither ``frozen`` nor ``CLOCK_NOW`` moves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

_frozen: dt.datetime | None = None


def _parse_env_override() -> dt.datetime | None:
    """``CLOCK_NOW`` (ISO datetime) pins the clock in a child process started by a test."""
    raw = os.environ.get("CLOCK_NOW")
    if not raw:
        return None
    return to_utc(dt.datetime.fromisoformat(raw))


def now() -> dt.datetime:
    """The current instant as an aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    override = _parse_env_override()
    if override is not None:
        return override
    return dt.datetime.now(UTC)


def wall_time() -> dt.datetime:
    """The real instant (aware UTC), whatever the business clock says.

    Only for checking what another party stamped with its own real clock: WeChat signs a push's
    ``timestamp`` with the real time even while a trial runs the service ``CLOCK_NOW`` ten days ahead.
    """
    return dt.datetime.now(UTC)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC from any datetime; naive values are taken as Asia/Shanghai wall time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC from a value read from the database (SQLite drops the zone; we store UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(moment: dt.datetime) -> dt.datetime:
    """Asia/Shanghai wall time of a stored (UTC) instant, for display and date rules."""
    return as_utc(moment).astimezone(SHANGHAI)


def today_local() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return local(now()).date()


@contextlib.contextmanager
def frozen(moment: dt.datetime) -> Iterator[dt.datetime]:
    """Pin :func:`now` to ``moment`` inside the block (tests and ``scheduler tick --at``)."""
    global _frozen
    previous = _frozen
    _frozen = to_utc(moment)
    try:
        yield _frozen
    finally:
        _frozen = previous

