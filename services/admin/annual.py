"""The annual per-unit report for the performance evaluation (绩效考核).

For one calendar year (Asia/Shanghai; an event counts in the year it starts, a
suggestion in the year it arrived), one row per responsible unit:

* events held against the plan: the unit's events in the programme (drafts are not
  part of it), held (not cancelled and over by ``now``), cancelled, still to come;
* deadlines kept, per rule of :mod:`services.programme.deadlines` (announced ≥ 3
  working days before, selection notice ≥ 1 working day before, materials ≤ 5
  working days after): kept = done by the deadline; due = kept + done late + still
  missing after the deadline (deadlines not yet reached are not judged);
* suggestions: arrived, answered, adopted (adopted or partly adopted);
* satisfaction rate and 差评 follow-ups on time, as on the statistics page
  (:mod:`services.admin.rating_stats`).

The Excel export goes through :mod:`services.admin.exports` and is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from models import Adoption, Event, EventStatus, Unit
from services.admin import audit, coordination_stats, exports, rating_stats, stats
from services.calendar import clock
from services.programme import deadlines

RULES = (deadlines.ANNOUNCEMENT, deadlines.SELECTION_NOTICE, deadlines.MATERIALS)
RULE_HEADERS = {deadlines.ANNOUNCEMENT: "按时发布预告", deadlines.SELECTION_NOTICE: "按时通知入选",
                deadlines.MATERIALS: "5个工作日内公开材料"}
TOTAL = "合计"
FIRST_YEAR, LAST_YEAR = 2000, 2100


class InvalidYear(ValueError):
    """The year asked for is not a four-digit year the programme could have."""


@dataclass
class UnitYear:
    """One unit's year, in numbers."""

    name: str
    unit_id: int | None = None
    planned: int = 0
    held: int = 0
    cancelled: int = 0
    upcoming: int = 0
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    suggestions: int = 0
    answered: int = 0
    adopted: int = 0
    ratings: int = 0
    satisfied: int = 0
    follow_ups: int = 0
    judged: int = 0
    on_time: int = 0

    @property
    def held_rate(self) -> float | None:
        """Held of planned, in percent."""
        return rating_stats.percent(self.held, self.planned)

    @property
    def kept_total(self) -> int:
        return sum(self.kept.values())

    @property
    def due_total(self) -> int:
        return sum(self.due.values())

    @property
    def kept_rate(self) -> float | None:
        """Deadlines kept of deadlines due, in percent."""
        return rating_stats.percent(self.kept_total, self.due_total)

    @property
    def answered_rate(self) -> float | None:
        return rating_stats.percent(self.answered, self.suggestions)

    @property
    def adoption_rate(self) -> float | None:
        """Adopted (fully or partly) of answered, in percent."""
        return rating_stats.percent(self.adopted, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return rating_stats.percent(self.satisfied, self.ratings)

    @property
    def on_time_rate(self) -> float | None:
        """差评 follow-ups on time of those answered or overdue, in percent."""
        return rating_stats.percent(self.on_time, self.judged)

    def add(self, other: UnitYear) -> None:
        """Add ``other``'s counts to this row (for the total)."""
        for name in ("planned", "held", "cancelled", "upcoming", "suggestions", "answered", "adopted", "ratings",
                     "satisfied", "follow_ups", "judged", "on_time"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule in RULES:
            self.kept[rule] += other.kept[rule]
            self.due[rule] += other.due[rule]


@dataclass(frozen=True)
class Report:
    """The year's rows (one per unit, by name) and their total."""

    year: int
    rows: list[UnitYear]
    total: UnitYear


def check_year(value) -> int:
    """The year as an int, or :class:`InvalidYear`."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidYear(value) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidYear(value)
    return year


def years(session, now: dt.datetime) -> list[int]:
    """The years with programme events, and the current year, newest first."""
    found = {clock.local(at).year for at in session.scalars(
        select(Event.starts_at).where(Event.status != EventStatus.DRAFT))}
    return sorted(found | {clock.local(now).year}, reverse=True)


def year_scope(year: int, unit_id: int | None) -> stats.Scope:
    """The calendar year as a statistics scope."""
    return _scope(year, unit_id)


def _scope(year: int, unit_id: int | None) -> stats.Scope:
    return stats.Scope(dt.date(year, 1, 1), dt.date(year, 12, 31), unit_id)


def _count_events(row: UnitYear, session, event: Event, now: dt.datetime) -> None:
    row.planned += 1
    if event.status == EventStatus.CANCELLED:
        row.cancelled += 1
        return
    if event.ends_at <= now:
        row.held += 1
    else:
        row.upcoming += 1
    for status in deadlines.compliance(session, event, now):
        if status.rule not in RULES:
            continue
        in_time = status.done and status.status != deadlines.RED
        if status.done or status.overdue:
            row.due[status.rule] += 1
            row.kept[status.rule] += int(in_time)


def compute(session, year: int, now: dt.datetime, unit_id: int | None = None) -> Report:
    """The report of ``year`` judged at ``now``; only ``unit_id``'s row when given."""
    scope = _scope(year, unit_id)
    rows: dict[int, UnitYear] = {}

    def row_of(unit_id: int, name: str) -> UnitYear:
        return rows.setdefault(unit_id, UnitYear(name=name, unit_id=unit_id))

    events = stats.events_in(session, scope)
    for event in events:
        _count_events(row_of(event.unit_id, event.unit.name), session, event, now)
    _count_suggestions(session, scope, row_of)
    rated = rating_stats.summary(session, events, now)
    by_name = {r["name"]: r for r in rated["by_unit"]}
    for row in rows.values():
        numbers = by_name.get(row.name, {})
        for key in ("ratings", "satisfied", "follow_ups", "judged", "on_time"):
            setattr(row, key, numbers.get(key, 0))
    ordered = sorted(rows.values(), key=lambda r: r.name)
    total = UnitYear(name=TOTAL)
    for row in ordered:
        total.add(row)
    return Report(year, ordered, total)


def _count_suggestions(session, scope: stats.Scope, row_of) -> None:
    """Suggestions of the year per unit (general ones not yet assigned to a unit are left out)."""
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    ids = {name: unit_id for unit_id, name in names.items()}
    counted: dict[str, list] = defaultdict(list)
    for suggestion, _topic, unit_name in stats.suggestions_in(session, scope):
        if unit_name is not None:
            counted[unit_name].append(suggestion)
    for unit_name, items in counted.items():
        row = row_of(ids[unit_name], unit_name)
        answered = [s for s in items if s.replied_at is not None and s.adoption is not None]
        row.suggestions += len(items)
        row.answered += len(answered)
        row.adopted += sum(s.adoption in (Adoption.ADOPTED, Adoption.PARTLY) for s in answered)


def _rate(value: float | None) -> exports.Percent | None:
    """A rate as a number the spreadsheet formats as a percentage (empty when there is nothing to divide)."""
    return exports.percent(value)


HEADERS = ["单位", "计划活动", "已举办", "已取消", "未到期", "举办率",
           *[f"{RULE_HEADERS[rule]}（按时/应办）" for rule in RULES], "期限遵守率",
           "意见建议", "已答复", "采纳（含部分）", "答复率", "采纳率",
           "评价数", "满意率", "差评", "差评按期办结", "差评按期办结率"]


def sheet_row(row: UnitYear) -> tuple:
    """One row of the workbook (and of the page): the same numbers, in the same order."""
    return (row.name, row.planned, row.held, row.cancelled, row.upcoming, _rate(row.held_rate),
            *[f"{row.kept[rule]}/{row.due[rule]}" for rule in RULES], _rate(row.kept_rate),
            row.suggestions, row.answered, row.adopted, _rate(row.answered_rate), _rate(row.adoption_rate),
            row.ratings, _rate(row.satisfaction_rate), row.follow_ups, f"{row.on_time}/{row.judged}",
            _rate(row.on_time_rate))


NOTES = [
    ("统计口径", "活动按开始时间（北京时间）所在年度统计，意见建议按提交时间统计；草稿不计入计划。"),
    ("已举办", "未取消且已结束的活动；未到期为尚未结束的活动。"),
    ("期限遵守", "按时/应办：按时完成的数量 / 已到期限（按时、逾期完成或逾期未完成）的数量；未到期限的不计。"
                 "预告须在活动前 3 个工作日发布（直播活动），入选通知须在活动前 1 个工作日发出，材料须在活动后 5 个工作日内公开。"),
    ("采纳率", "采纳与部分采纳 / 已答复的意见建议；未分派单位的综合建议不计入任何单位。"),
    ("满意率", "（非常满意 + 满意 + 基本满意）/ 全部评价。"),
    ("差评按期办结率", "1 个工作日内回访且 15 个工作日内答复的差评 / 已答复或已逾期的差评。"),
]


def export_workbook(session, year: int, staff, now: dt.datetime, unit_id: int | None = None, ip: str = "") -> bytes:
    """The report as an .xlsx (a sheet of rows plus the definitions); the export is audited."""
    report = compute(session, year, now, unit_id)
    rows = [sheet_row(row) for row in report.rows]
    if unit_id is None:
        rows.append(sheet_row(report.total))
    coordination = coordination_stats.per_unit(session, _scope(year, unit_id), now)  # issue 29
    content = exports.workbook_bytes(f"{year}年度绩效", HEADERS, rows, extra_sheets={
        "报备与分派": (coordination_stats.HEADERS, coordination_stats.sheet_rows(coordination)),
        "说明": (["项目", "说明"], NOTES)})
    audit.record(session, now, "annual.export", actor=staff, ip=ip, note=f"year={year} unit={unit_id or 'all'}",
                 after={"units": len(report.rows), "events": report.total.planned})
    return content
