"""One year's official schedule (days off, make-up working days) and the calendar's errors.

Shared by :mod:`services.calendar.workdays` (the arithmetic) and
:mod:`services.calendar.holiday_files` (the ``<year>.toml`` reader); it imports neither,
so the two never import each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

WEEKDAY_NAMES = "一二三四五六日"  # 周一 … 周日, by ``date.weekday()``


class CalendarError(Exception):
    """Base of every error this module raises on purpose."""


class ScheduleMissing(CalendarError):
    """No official schedule is loaded for ``year``; the answer would be a guess."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年的法定节假日安排未载入（缺少 config/holidays/{year}.toml），"
            "无法准确计算工作日")


class ScheduleFileError(CalendarError):
    """A holiday file cannot be used; ``problems`` lists every problem found in it."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"节假日安排文件 {path} 有误：\n{lines}")


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off and make-up working days, in sets for fast lookups."""

    year: int
    source: str | None  # "chinesecalendar", a file name, or None for an estimate
    holidays: Mapping[date, str]  # every day off by the schedule (weekends too) → name
    makeup_workdays: frozenset[date]
    off_weekdays: frozenset[date]  # Monday–Friday days that are off

    @classmethod
    def build(cls, year: int, source: str | None, holidays: Mapping[date, str],
              makeup_workdays: Iterable[date]) -> YearSchedule:
        """Derive the lookup sets from the holiday names and make-up days."""
        off = frozenset(day for day in holidays if day.weekday() < 5)
        return cls(year, source, dict(holidays), frozenset(makeup_workdays), off)

    def is_working_day(self, day: date) -> bool:
        """Weekends are off unless made up; weekdays are on unless a holiday."""
        if day.weekday() >= 5:
            return day in self.makeup_workdays
        return day not in self.off_weekdays
