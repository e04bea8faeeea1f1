"""Reading ``config/holidays/<year>.toml``: a year's official schedule, validated.

Staff copy the State Council's notice into the file (see config/holidays/README.md);
every problem found is reported at once, naming the file. The calendar itself
lives in :mod:`services.calendar.workdays`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from services.calendar.schedule import WEEKDAY_NAMES, ScheduleFileError, YearSchedule

_TOP_KEYS = {"year", "source", "published", "note", "workdays", "holidays"}
_HOLIDAY_KEYS = {"name", "days", "start", "end", "total", "workdays", "notice"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = timedelta(days=1)


def read_schedule_file(path: Path) -> YearSchedule:
    """Read and validate one ``<year>.toml``; :class:`ScheduleFileError` lists all problems."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ScheduleFileError(path, [f"无法读取或不是合法的 TOML：{error}"]) from error
    problems: list[str] = []
    year = _read_header(path, data, problems)
    if year is None:
        raise ScheduleFileError(path, problems)
    holidays, makeup = _read_days(data, year, problems)
    if problems:
        raise ScheduleFileError(path, problems)
    return YearSchedule.build(year, path.name, holidays, makeup)


def _read_header(path: Path, data: dict[str, Any], problems: list[str]) -> int | None:
    """Check the top-level keys; return the year when it is usable."""
    problems += [f"未知的键 {key!r}（可用：{'、'.join(sorted(_TOP_KEYS))}）"
                 for key in data.keys() - _TOP_KEYS]
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("缺少 source：请填写国务院办公厅通知的标题和文号")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append("缺少 year，或 year 不是整数（例如 year = 2027）")
        return None
    if path.stem != str(year):
        problems.append(f"year = {year} 与文件名 {path.name} 不一致")
        return None
    return year


def _read_days(data: dict[str, Any], year: int,
               problems: list[str]) -> tuple[dict[date, str], set[date]]:
    """Collect days off and make-up working days from all entries, checking each."""
    holidays: dict[date, str] = {}
    makeup: list[tuple[date, str]] = []
    entries = data.get("holidays", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append("holidays 应写成 [[holidays]] 表")
        entries = []
    for index, entry in enumerate(entries, start=1):
        label = f"第 {index} 个 [[holidays]]（{entry.get('name', '无名称')}）"
        _read_holiday(entry, label, year, holidays, problems)
        makeup += [(day, label) for day in _dates(entry, "workdays", label, year, problems)]
    makeup += [(day, "顶层 workdays") for day in _dates(data, "workdays", "顶层", year, problems)]
    _check_makeup(makeup, holidays, problems)
    return holidays, {day for day, _ in makeup}


def _read_holiday(entry: dict[str, Any], label: str, year: int,
                  holidays: dict[date, str], problems: list[str]) -> None:
    """Add one holiday entry's days to ``holidays``, reporting what is wrong with it."""
    problems += [f"{label}：未知的键 {key!r}" for key in entry.keys() - _HOLIDAY_KEYS]
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{label}：缺少 name（例如 name = \"春节\"）")
        return
    days = _holiday_days(entry, label, year, problems)
    total = entry.get("total")
    if total is not None and total != len(days):
        problems.append(f"{label}：total = {total}，但列出的放假日期有 {len(days)} 天")
    for day in days:
        if day in holidays:
            problems.append(f"{label}：{day} 已出现在「{holidays[day]}」中")
        holidays[day] = name


def _holiday_days(entry: dict[str, Any], label: str, year: int,
                  problems: list[str]) -> list[date]:
    """The days of one entry, from ``days`` or from ``start``/``end`` (inclusive)."""
    has_range = "start" in entry or "end" in entry
    if ("days" in entry) == has_range:
        problems.append(f"{label}：请只用 days = [...] 或 start/end 二者之一")
        return []
    if not has_range:
        return _dates(entry, "days", label, year, problems)
    ends = [_date(entry.get(key), f"{label} {key}", year, problems) for key in ("start", "end")]
    start, end = ends
    if start is None or end is None:
        return []
    if start > end:
        problems.append(f"{label}：start {start} 晚于 end {end}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _dates(table: dict[str, Any], key: str, label: str, year: int,
           problems: list[str]) -> list[date]:
    """The valid dates of the list ``table[key]`` (absent → empty)."""
    raw = table.get(key, [])
    if not isinstance(raw, list):
        problems.append(f"{label}：{key} 应为日期列表，例如 [\"{year}-01-04\"]")
        return []
    days = [_date(value, f"{label} {key}", year, problems) for value in raw]
    return [day for day in days if day is not None]


def _date(value: object, label: str, year: int, problems: list[str]) -> date | None:
    """A date from a TOML date or a "YYYY-MM-DD" string that lies in ``year``."""
    day = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        problems.append(f"{label}：{value!r} 不是 YYYY-MM-DD 格式的有效日期")
    elif day.year != year:
        problems.append(f"{label}：{day} 不在 {year} 年内（跨年的日期请写进该年的文件）")
        day = None
    return day


def _check_makeup(makeup: list[tuple[date, str]], holidays: Mapping[date, str],
                  problems: list[str]) -> None:
    """A make-up working day is a weekend day, listed once, and not also a day off."""
    seen: set[date] = set()
    for day, label in makeup:
        if day.weekday() < 5:
            problems.append(f"{label}：调休上班日 {day} 是周{WEEKDAY_NAMES[day.weekday()]}，"
                            "只能是周六或周日")
        if day in holidays:
            problems.append(f"{label}：{day} 既是放假日（{holidays[day]}）又是调休上班日")
        if day in seen:
            problems.append(f"{label}：调休上班日 {day} 重复")
        seen.add(day)
