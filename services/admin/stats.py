"""Programme statistics: events, applicants, selected, attended, suggestions, adoption, response time.

Numbers are computed for a date range (Asia/Shanghai dates; an event counts by its
start, a suggestion by when it arrived) and optionally one unit. A suggestion belongs
to the unit of its event, or, for a general suggestion, to the unit it was assigned to.
The Excel export goes through :mod:`services.admin.exports` (formula injection neutralised)
and is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from models import (
    Adoption,
    Application,
    ApplicationStatus,
    Broadcast,
    BroadcastStatus,
    Event,
    EventStatus,
    Suggestion,
    Topic,
    Unit,
)
from services.admin import audit, coordination_stats, exports, rating_stats
from services.calendar import clock, workdays

GENERAL_TOPIC = "综合（未关联活动）"
# A general suggestion not yet routed is held by the district office: what its citizen was told.
UNASSIGNED_UNIT = "区政务服务和数据管理局（待分派）"
SELECTED = (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN)
ADOPTION_LABELS = {Adoption.ADOPTED: "采纳", Adoption.PARTLY: "部分采纳", Adoption.NOT_ADOPTED: "暂不采纳",
                   Adoption.TRANSFERRED: "已转办"}
STATUS_LABELS = {EventStatus.DRAFT: "草稿", EventStatus.PUBLISHED: "已发布", EventStatus.CANCELLED: "已取消",
                 EventStatus.CLOSED: "已结束"}


@dataclass(frozen=True)
class Scope:
    """Which part of the programme to count: a date range (inclusive, local) and a unit."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unit_id: int | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """UTC bounds [start, end) of the local date range."""
        start = clock.to_utc(dt.datetime.combine(self.date_from, dt.time())) if self.date_from else None
        end = clock.to_utc(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time())) if self.date_to else None
        return start, end


def suggestion_unit_id():
    """SQL: the unit a suggestion belongs to (its event's, else the one it was assigned to)."""
    return func.coalesce(Event.unit_id, Suggestion.unit_id)


def events_in(session, scope: Scope) -> list[Event]:
    """Events (not drafts) in scope."""
    start, end = scope.bounds()
    query = select(Event).where(Event.status != EventStatus.DRAFT).order_by(Event.starts_at)
    if start:
        query = query.where(Event.starts_at >= start)
    if end:
        query = query.where(Event.starts_at < end)
    if scope.unit_id:
        query = query.where(Event.unit_id == scope.unit_id)
    return list(session.scalars(query))


def _application_counts(session, event_ids: list[int]) -> dict[int, Counter]:
    """Per event: applicants (not cancelled), selected, attended."""
    counts: dict[int, Counter] = defaultdict(Counter)
    if not event_ids:
        return counts
    rows = session.execute(select(Application.event_id, Application.status, func.count())
                           .where(Application.event_id.in_(event_ids))
                           .group_by(Application.event_id, Application.status))
    for event_id, status, n in rows:
        if status != ApplicationStatus.CANCELLED:
            counts[event_id]["applicants"] += n
        if status in SELECTED:
            counts[event_id]["selected"] += n
        if status == ApplicationStatus.CHECKED_IN:
            counts[event_id]["attended"] += n
    return counts


def suggestions_in(session, scope: Scope) -> list[tuple]:
    """(suggestion, topic name, unit name) in scope."""
    start, end = scope.bounds()
    unit_id = suggestion_unit_id()
    query = (select(Suggestion, Topic.name, Unit.name)
             .outerjoin(Event, Suggestion.event_id == Event.id)
             .outerjoin(Topic, Event.topic_id == Topic.id)
             .outerjoin(Unit, Unit.id == unit_id)
             .order_by(Suggestion.created_at))
    if start:
        query = query.where(Suggestion.created_at >= start)
    if end:
        query = query.where(Suggestion.created_at < end)
    if scope.unit_id:
        query = query.where(unit_id == scope.unit_id)
    return [tuple(row) for row in session.execute(query)]


def response_days(suggestion: Suggestion) -> int | None:
    """Working days from arrival to reply (local dates), None while unanswered."""
    if suggestion.replied_at is None:
        return None
    start, end = clock.local(suggestion.created_at).date(), clock.local(suggestion.replied_at).date()
    return max(0, workdays.estimate_between(start, end).value)


def _suggestion_summary(rows: list[tuple]) -> dict:
    """Totals, adoption counts and rate, response times."""
    replied = [s for s, _, _ in rows if s.replied_at is not None and s.adoption is not None]
    adoption = Counter(s.adoption for s in replied)
    adopted = adoption[Adoption.ADOPTED] + adoption[Adoption.PARTLY]
    days = [response_days(s) for s in replied]
    return {
        "total": len(rows), "replied": len(replied), "open": len(rows) - len(replied),
        "adoption": {ADOPTION_LABELS[a]: adoption[a] for a in Adoption},
        "adoption_rate": round(100 * adopted / len(replied), 1) if replied else None,
        "response_avg_days": round(statistics.mean(days), 1) if days else None,
        "response_median_days": statistics.median(days) if days else None,
        "within_5_days": round(100 * sum(d <= 5 for d in days) / len(days), 1) if days else None,
    }


def _grouped(rows: list[tuple], index: int, default: str) -> list[dict]:
    """Suggestions grouped by topic (index 1) or unit (index 2), biggest first."""
    groups: dict[str, list[Suggestion]] = defaultdict(list)
    for row in rows:
        groups[row[index] or default].append(row[0])
    out = []
    for name, items in groups.items():
        replied = [s for s in items if s.replied_at is not None and s.adoption is not None]
        adopted = sum(s.adoption in (Adoption.ADOPTED, Adoption.PARTLY) for s in replied)
        out.append({"name": name, "total": len(items), "replied": len(replied), "adopted": adopted,
                    "adoption_rate": round(100 * adopted / len(replied), 1) if replied else None})
    return sorted(out, key=lambda g: (-g["total"], g["name"]))


def event_rows(session, scope: Scope) -> list[dict]:
    """One row per event in scope with its application counts."""
    events = events_in(session, scope)
    counts = _application_counts(session, [e.id for e in events])
    return [{"event": e, "applicants": counts[e.id]["applicants"], "selected": counts[e.id]["selected"],
             "attended": counts[e.id]["attended"]} for e in events]


def compute(session, scope: Scope, now: dt.datetime | None = None) -> dict:
    """Everything the statistics page shows (``now`` judges the follow-ups' deadlines)."""
    events = event_rows(session, scope)
    suggestions = suggestions_in(session, scope)
    units: dict[str, Counter] = defaultdict(Counter)
    for row in events:
        unit = units[row["event"].unit.name]
        unit["events"] += 1
        for key in ("applicants", "selected", "attended"):
            unit[key] += row[key]
    return {
        "events": len(events),
        "events_by_status": Counter(STATUS_LABELS[r["event"].status] for r in events),
        "applicants": sum(r["applicants"] for r in events),
        "selected": sum(r["selected"] for r in events),
        "attended": sum(r["attended"] for r in events),
        "event_rows": events,
        "units": sorted(({"name": k, **v} for k, v in units.items()), key=lambda u: (-u["events"], u["name"])),
        "suggestions": _suggestion_summary(suggestions),
        "by_topic": _grouped(suggestions, 1, GENERAL_TOPIC),
        "by_unit": _grouped(suggestions, 2, UNASSIGNED_UNIT),
        # 好差评 (issue 15): satisfaction, response and follow-up rates by event, unit, topic and month.
        "ratings": rating_stats.summary(session, [r["event"] for r in events], now or clock.now()),
        "broadcasts": broadcast_summary(session, scope, now or clock.now()),
    }


def broadcast_summary(session, scope: Scope, now: dt.datetime) -> dict:
    """Broadcasts sent in scope and the people they reached: the numbers their list and pages show.

    Counted from each broadcast's ``total`` / ``sent_count`` / ``failed_count``, brought up to
    date from the outbox first (:func:`services.messaging.broadcasts.settle_all`), never from rows.
    """
    from services.messaging import broadcasts  # (imported late: messaging records through admin.audit)

    start, end = scope.bounds()
    query = select(Broadcast).where(Broadcast.status != BroadcastStatus.DRAFT)
    if start:
        query = query.where(Broadcast.sent_at >= start)
    if end:
        query = query.where(Broadcast.sent_at < end)
    if scope.unit_id:
        query = query.where(Broadcast.unit_id == scope.unit_id)
    found = list(session.scalars(query))
    broadcasts.settle_all(session, found, now)
    return {"count": len(found), "total": sum(b.total or 0 for b in found),
            "sent": sum(b.sent_count or 0 for b in found), "failed": sum(b.failed_count or 0 for b in found)}


def _rate(value: float | None) -> exports.Percent | None:
    """A percentage for the workbook: a number formatted as one (empty when there is nothing to divide)."""
    return exports.percent(value)


def export_workbook(session, scope: Scope, staff, now: dt.datetime, ip: str = "") -> bytes:
    """The statistics as an .xlsx (events, summary, suggestions by topic and unit, 好差评 by unit, topic,
    month and event: the page's numbers); the export is audited."""
    data = compute(session, scope, now)
    summary = data["suggestions"]
    event_sheet = [(r["event"].code or r["event"].id, r["event"].title, r["event"].unit.name,
                    r["event"].topic.name if r["event"].topic else "", r["event"].starts_at,
                    STATUS_LABELS[r["event"].status], r["applicants"], r["selected"], r["attended"])
                   for r in data["event_rows"]]
    totals = [("活动场次", data["events"]), ("报名人数", data["applicants"]), ("入选人数", data["selected"]),
              ("实到人数", data["attended"]), ("意见建议", summary["total"]), ("已答复", summary["replied"]),
              ("采纳率（含部分采纳）", _rate(summary["adoption_rate"])),
              ("平均答复用时（工作日）", summary["response_avg_days"] if summary["response_avg_days"] is not None else ""),
              ("5 个工作日内答复占比", _rate(summary["within_5_days"]))]
    totals += [(f"答复：{label}", n) for label, n in summary["adoption"].items()]
    group_headers = ["名称", "意见建议", "已答复", "采纳（含部分）", "采纳率"]

    def groups(items):
        return [(g["name"], g["total"], g["replied"], g["adopted"], _rate(g["adoption_rate"])) for g in items]

    rated = data["ratings"]
    totals += [("满意率", _rate(rated["total"]["satisfaction_rate"])), ("参评率", _rate(rated["total"]["response_rate"])),
               ("差评按期办结率", _rate(rated["total"]["on_time_rate"]))]
    sheets = {
        "概况": (["指标", "数值"], totals),
        "按专题": (group_headers, groups(data["by_topic"])),
        "按单位": (group_headers, groups(data["by_unit"])),
    }
    for title, key, first in RATING_SHEETS:
        sheets[title] = ([first, *RATING_HEADERS], [_rating_row(row) for row in rated[key]])
    # issue 29: 报备, routing times and near-duplicates merged, per unit.
    sheets["报备与分派"] = (coordination_stats.HEADERS,
                       coordination_stats.sheet_rows(coordination_stats.per_unit(session, scope, now)))
    content = exports.workbook_bytes(
        "活动", ["编号", "活动", "主责单位", "专题", "开始时间", "状态", "报名", "入选", "实到"], event_sheet,
        extra_sheets=sheets)
    audit.record(session, now, "stats.export", actor=staff, ip=ip, note=_scope_note(scope),
                 after={"events": data["events"], "suggestions": summary["total"]})
    return content


RATING_HEADERS = ["评价邀请", "评价数", "其中线上", "满意率", "参评率", "差评", "差评已办结或逾期", "按期办结",
                  "差评按期办结率"]
# The 好差评 sheets, in the page's order: (sheet title, key in rating_stats.summary, first column).
RATING_SHEETS = (("满意度按单位", "by_unit", "单位"), ("满意度按专题", "by_topic", "专题"),
                 ("满意度按月份", "by_month", "月份"), ("满意度按活动", "by_event", "活动"))


def _rating_row(row: dict) -> tuple:
    """One 好差评 row for the workbook, the same numbers the page shows."""
    name = row["event"].title if "event" in row else row["name"]
    return (name, row["invitations"], row["ratings"], row["online"], _rate(row["satisfaction_rate"]),
            _rate(row["response_rate"]), row["bad"], row["judged"], row["on_time"], _rate(row["on_time_rate"]))


def _scope_note(scope: Scope) -> str:
    """Human-readable scope for the audit log."""
    return f"from={scope.date_from or ''} to={scope.date_to or ''} unit={scope.unit_id or 'all'}"
