"""China's official working-day calendar: the one module that knows what a working day is.

A day is a working day when it is Monday–Friday and not a statutory holiday, or when it
is a make-up working day (调休上班, always a Saturday or Sunday). Each year's schedule
comes from the ``chinesecalendar`` package (2004–2026 in the pinned version) or from
``config/holidays/<year>.toml``, transcribed from the State Council's notice; a file
overrides the package for its year. Files are validated when loaded.

A date in a year without a schedule raises :class:`ScheduleMissing` by default. With
``strict=False`` such a year is *estimated*: weekends plus the holidays the law fixes by
Gregorian date (元旦 1/1, 劳动节 5/1–5/2, 国庆节 10/1–10/3). Lunar festivals and make-up
working days cannot be known before the notice, so an estimate may be wrong and callers
must show a warning; :meth:`WorkCalendar.estimate_shift` and
:meth:`WorkCalendar.estimate_between` say which years were estimated.

Counting conventions (``d`` is a :class:`datetime.date`, never a datetime):

* ``shift_working_days(d, n)``, n > 0: the n-th working day after ``d``; n < 0: the
  |n|-th working day before ``d``; n = 0: ``d`` if it is a working day, else the next
  working day. ``d`` itself never counts for n ≠ 0, and its year needs no schedule
  unless the walk reads it (so 2027-01-01 shifted by -1 is 2026-12-31 without 2027 data).
* ``working_days_between(a, b)``: the working days in (a, b], i.e. after ``a`` up to and
  including ``b``; ``-working_days_between(b, a)`` when b < a. For a working day ``d``,
  ``working_days_between(d, shift_working_days(d, n)) == n`` for every n.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import chinese_calendar

from config.settings import HOLIDAYS_DIR
from services.calendar import clock
from services.calendar.holiday_files import read_schedule_file
from services.calendar.schedule import (
    CalendarError,
    ScheduleFileError,
    ScheduleMissing,
    YearSchedule,
)

PACKAGE_SOURCE = "chinesecalendar"
# 《全国年节及纪念日放假办法》(2024 revision): the only holidays fixed by Gregorian date.
FIXED_DATE_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (5, 2): "劳动节",
                       (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}
_ONE_DAY = timedelta(days=1)
T = TypeVar("T")


@dataclass(frozen=True)
class YearStatus:
    """Whether ``year`` has an official schedule, and where it came from."""

    year: int
    loaded: bool
    source: str | None  # "chinesecalendar", "<year>.toml", or None when not loaded


@dataclass(frozen=True)
class Estimate(Generic[T]):
    """An answer plus the years it had to estimate (empty: the answer is official)."""

    value: T
    missing_years: frozenset[int]

    @property
    def is_exact(self) -> bool:
        """True when every year involved had an official schedule."""
        return not self.missing_years


class WorkCalendar:
    """Working-day arithmetic over a fixed set of validated year schedules."""

    def __init__(self, schedules: Mapping[int, YearSchedule]) -> None:
        """Keep the schedules; estimates for missing years are built on first use."""
        self._schedules = dict(schedules)
        self._estimates: dict[int, YearSchedule] = {}

    def years_loaded(self) -> list[int]:
        """Years with an official schedule, ascending."""
        return sorted(self._schedules)

    def year_status(self, year: int) -> YearStatus:
        """Whether ``year`` is loaded and from which source."""
        schedule = self._schedules.get(year)
        return YearStatus(year, schedule is not None, schedule.source if schedule else None)

    def missing_years(self, dates: Iterable[date]) -> set[int]:
        """The years of ``dates`` that have no official schedule."""
        return {day.year for day in dates} - self._schedules.keys()

    def schedule(self, year: int) -> YearSchedule:
        """The official schedule of ``year``; :class:`ScheduleMissing` if there is none."""
        return self._lookup(year, True, None)

    def is_working_day(self, day: date, *, strict: bool = True) -> bool:
        """Whether ``day`` is a working day; estimated for a missing year if not strict."""
        return self._lookup(_checked(day).year, strict, None).is_working_day(day)

    def shift_working_days(self, day: date, n: int, *, strict: bool = True) -> date:
        """The working day ``n`` working days after (n < 0: before) ``day``; see module doc."""
        return self._shift(_checked(day), n, strict, None)

    def working_days_between(self, a: date, b: date, *, strict: bool = True) -> int:
        """Working days in (a, b]; negative when b < a; see module doc."""
        return self._between(_checked(a), _checked(b), strict, None)

    def estimate_shift(self, day: date, n: int) -> Estimate[date]:
        """Like ``shift_working_days(strict=False)``, saying which years were estimated."""
        missing: set[int] = set()
        return Estimate(self._shift(_checked(day), n, False, missing), frozenset(missing))

    def estimate_between(self, a: date, b: date) -> Estimate[int]:
        """Like ``working_days_between(strict=False)``, saying which years were estimated."""
        missing: set[int] = set()
        return Estimate(self._between(_checked(a), _checked(b), False, missing),
                        frozenset(missing))

    def health(self, today: date) -> dict[str, Any]:
        """Loaded years by source and Chinese warnings, for ``/healthz`` and the console."""
        warnings = [text for year, text in _health_warnings(today)
                    if year not in self._schedules]
        sources: dict[str, list[int]] = {}
        for year in self.years_loaded():
            sources.setdefault(str(self._schedules[year].source), []).append(year)
        return {"status": "warning" if warnings else "ok", "today": today.isoformat(),
                "loaded_years": self.years_loaded(), "sources": sources,
                "warnings": warnings}

    def _lookup(self, year: int, strict: bool, missing: set[int] | None) -> YearSchedule:
        """The schedule of ``year``, or its estimate (recorded in ``missing``) if not strict."""
        schedule = self._schedules.get(year)
        if schedule is not None:
            return schedule
        if strict:
            raise ScheduleMissing(year)
        if missing is not None:
            missing.add(year)
        if year not in self._estimates:
            self._estimates[year] = estimated_schedule(year)
        return self._estimates[year]

    def _is_working(self, day: date, strict: bool, missing: set[int] | None) -> bool:
        """Working-day test used by the walking loops."""
        return self._lookup(day.year, strict, missing).is_working_day(day)

    def _shift(self, day: date, n: int, strict: bool, missing: set[int] | None) -> date:
        """Walk day by day, counting working days, until ``n`` have been passed."""
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        if n == 0:
            while not self._is_working(day, strict, missing):
                day += step
            return day
        remaining = abs(n)
        while remaining:
            day += step
            if self._is_working(day, strict, missing):
                remaining -= 1
        return day

    def _between(self, a: date, b: date, strict: bool, missing: set[int] | None) -> int:
        """Count the working days in (a, b], negated when b < a."""
        if b < a:
            return -self._between(b, a, strict, missing)
        count, day = 0, a
        while day < b:
            day += _ONE_DAY
            count += self._is_working(day, strict, missing)
        return count


def _checked(day: date) -> date:
    """Refuse datetimes: which date they fall on depends on a time zone the caller knows."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a local datetime.date, got {day!r}; "
                        "use clock.local(moment).date()")
    return day


def _health_warnings(today: date) -> list[tuple[int, str]]:
    """(year, warning) pairs, each applying when that year is not loaded."""
    this, following = today.year, today.year + 1
    guide = "请按 config/holidays/README.md 添加 config/holidays/{}.toml。"
    pairs = [(this, f"{this} 年（今年）的法定节假日安排未载入，工作日只能按周末和固定日期"
              f"假日保守估算，各项期限可能不准。{guide.format(this)}")]
    if today.month >= 11:  # the State Council publishes next year's notice in November
        pairs.append((following, f"{following} 年的法定节假日安排尚未载入。国务院办公厅通常"
                      f"在 11 月发布下一年的放假通知，发布后{guide.format(following)}"))
    return pairs


def estimated_schedule(year: int) -> YearSchedule:
    """The conservative guess for a year without a notice: weekends and fixed-date holidays."""
    holidays = {date(year, month, day): name
                for (month, day), name in FIXED_DATE_HOLIDAYS.items()}
    return YearSchedule.build(year, None, holidays, ())


def package_schedules() -> dict[int, YearSchedule]:
    """Every year the ``chinesecalendar`` package covers, as schedules."""
    years = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
    holidays: dict[int, dict[date, str]] = {year: {} for year in years}
    makeup: dict[int, set[date]] = {year: set() for year in years}
    for day, english in chinese_calendar.holidays.items():
        holidays[day.year][day] = chinese_calendar.Holiday(english).chinese
    for day in chinese_calendar.workdays:
        makeup[day.year].add(day)
    return {year: YearSchedule.build(year, PACKAGE_SOURCE, holidays[year], makeup[year])
            for year in years}


def load(holidays_dir: Path | None = None, *, use_package: bool = True) -> WorkCalendar:
    """Build a calendar from the package (unless told not to) and every ``<year>.toml``."""
    folder = HOLIDAYS_DIR if holidays_dir is None else Path(holidays_dir)
    if not folder.is_dir():
        raise CalendarError(f"节假日安排目录 {folder} 不存在")
    schedules = package_schedules() if use_package else {}
    for path in sorted(folder.glob("*.toml")):
        if not re.fullmatch(r"\d{4}", path.stem):
            raise ScheduleFileError(path, ["文件名应为 <年份>.toml，例如 2027.toml"])
        schedule = read_schedule_file(path)
        schedules[schedule.year] = schedule  # a file overrides the package
    return WorkCalendar(schedules)


@functools.cache
def default_calendar() -> WorkCalendar:
    """The calendar from ``config/holidays/``, loaded once; call at start to fail fast."""
    return load()


def years_loaded() -> list[int]:
    """Years with an official schedule in the default calendar."""
    return default_calendar().years_loaded()


def year_status(year: int) -> YearStatus:
    """Whether the default calendar has ``year``, and from which source."""
    return default_calendar().year_status(year)


def missing_years(dates: Iterable[date]) -> set[int]:
    """The years of ``dates`` without an official schedule in the default calendar."""
    return default_calendar().missing_years(dates)


def is_working_day(d: date, *, strict: bool = True) -> bool:
    """Whether ``d`` is a working day (default calendar)."""
    return default_calendar().is_working_day(d, strict=strict)


def shift_working_days(d: date, n: int, *, strict: bool = True) -> date:
    """The working day ``n`` working days after ``d`` (n < 0: before; default calendar)."""
    return default_calendar().shift_working_days(d, n, strict=strict)


def working_days_between(a: date, b: date, *, strict: bool = True) -> int:
    """Working days after ``a`` up to and including ``b`` (default calendar)."""
    return default_calendar().working_days_between(a, b, strict=strict)


def estimate_shift(d: date, n: int) -> Estimate[date]:
    """Shift without raising, saying which years were estimated (default calendar)."""
    return default_calendar().estimate_shift(d, n)


def estimate_between(a: date, b: date) -> Estimate[int]:
    """Count without raising, saying which years were estimated (default calendar)."""
    return default_calendar().estimate_between(a, b)


def calendar_health(today: date | None = None) -> dict[str, Any]:
    """Calendar status for ``/healthz`` and the console; ``today`` defaults to the clock."""
    return default_calendar().health(today or clock.today_local())
