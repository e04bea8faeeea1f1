"""The coordinator's statistics, per unit: 报备 counts, routing times and near-duplicates merged (issue 29).

For a :class:`services.admin.stats.Scope` (a month, a year, any range; a 报备 counts
by when it was made, a suggestion by when it arrived): per unit, how many changes
were reported, how many were late (within 3 working days of the event) or not
reported in time, postponements and cancellations; and for the suggestions the unit
handles, the average working days from arrival to the unit (routing), from the unit
to the reply, and in all, and how many near-duplicates were merged into one reply.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from sqlalchemy import func, select

from models import Event, EventChangeReport, Suggestion, SuggestionTriage, Unit
from services.calendar import clock, workdays

HEADERS = ["单位", "变更报备", "临期变更", "未按时报备", "延期", "取消", "意见建议", "平均分派用时（工作日）",
           "平均办理用时（工作日）", "平均总用时（工作日）", "合并相近建议"]


def _days(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return workdays.estimate_between(clock.local(start).date(), clock.local(end).date()).value


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.mean(present), 1) if present else None


def _is_unreported(report: EventChangeReport, today: dt.date) -> bool:
    if report.reason_at is None:
        return today > report.reason_due_on
    return clock.local(report.reason_at).date() > report.reason_due_on


def per_unit(session, scope, now: dt.datetime) -> list[dict]:
    """One row per unit with anything in scope, most 报备 first (``scope``: services.admin.stats.Scope)."""
    start, end = scope.bounds()
    today = clock.local(now).date()
    rows: dict[str, dict] = defaultdict(lambda: {"reports": 0, "late": 0, "unreported": 0, "postpone": 0,
                                                 "cancel": 0, "suggestions": 0, "routing": [], "handling": [],
                                                 "total": [], "merged": 0})
    reports = select(EventChangeReport, Unit.name).join(Unit, Unit.id == EventChangeReport.unit_id)
    suggestions = (select(Suggestion, SuggestionTriage, Unit.name)
                   .outerjoin(Event, Suggestion.event_id == Event.id)
                   .join(Unit, Unit.id == func.coalesce(Event.unit_id, Suggestion.unit_id))
                   .outerjoin(SuggestionTriage, SuggestionTriage.suggestion_id == Suggestion.id))
    if start:
        reports, suggestions = reports.where(EventChangeReport.created_at >= start), suggestions.where(
            Suggestion.created_at >= start)
    if end:
        reports, suggestions = reports.where(EventChangeReport.created_at < end), suggestions.where(
            Suggestion.created_at < end)
    if scope.unit_id:
        reports, suggestions = reports.where(Unit.id == scope.unit_id), suggestions.where(Unit.id == scope.unit_id)
    for report, name in session.execute(reports):
        row = rows[name]
        row["reports"] += 1
        row["late"] += report.late
        row["unreported"] += _is_unreported(report, today)
        if report.kind in ("postpone", "cancel"):
            row[report.kind] += 1
    for suggestion, triage, name in session.execute(suggestions):
        row = rows[name]
        row["suggestions"] += 1
        routed = triage.routed_at if triage is not None and triage.routed_at else None
        row["routing"].append(_days(suggestion.created_at, routed))
        row["handling"].append(_days(routed, suggestion.replied_at))
        row["total"].append(_days(suggestion.created_at, suggestion.replied_at))
        row["merged"] += bool(triage is not None and triage.duplicate_of_id)
    out = [{"name": name, **{k: v for k, v in row.items() if k not in ("routing", "handling", "total")},
            "routing_days": _mean(row["routing"]), "handling_days": _mean(row["handling"]),
            "total_days": _mean(row["total"])} for name, row in rows.items()]
    return sorted(out, key=lambda r: (-r["reports"], -r["suggestions"], r["name"]))


def sheet_rows(rows: list[dict]) -> list[tuple]:
    """The rows as the Excel sheet holds them (numbers stay numbers; no value is an empty string)."""
    def value(number):
        return "—" if number is None else number

    return [(r["name"], r["reports"], r["late"], r["unreported"], r["postpone"], r["cancel"], r["suggestions"],
             value(r["routing_days"]), value(r["handling_days"]), value(r["total_days"]), r["merged"]) for r in rows]
