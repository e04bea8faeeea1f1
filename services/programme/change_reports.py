"""报备: changes to a published event reported to the district coordinator (2024 plan, 四（一）).

Every change a unit makes to a published event's time, duration, place, mode,
livestream or seats, a postponement and a cancellation, is recorded as an
:class:`EventChangeReport` with what changed (before → after), why, who and when.
A change made within :data:`LATE_WORKING_DAYS` working days of the event is *late*
and needs its reason at once; any other change gives its reason within
:data:`LATE_WORKING_DAYS` working days (``reason_due_on``), or it counts as
*unreported* (未按时报备). The coordinator acknowledges (已知悉) or asks back
(请补充说明); the unit answers, and the report is open again. Applicants are told
of an edit once, in one message listing every change (a postponement or a
cancellation already tells them in its own message). Callers commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from models import ChangeReportStatus, Event, EventChangeReport, StaffRole
from services.admin import audit
from services.calendar import clock, workdays
from services.messaging import wording

LATE_WORKING_DAYS = 3
REPORTED_FIELDS = ("starts_at", "duration_minutes", "place", "mode", "livestream_url", "seats", "status")
FIELD_LABELS = {"starts_at": "活动时间", "duration_minutes": "时长", "place": "地点", "mode": "活动形式",
                "livestream_url": "直播地址", "seats": "现场名额", "status": "状态"}
KIND_LABELS = {"edit": "变更", "postpone": "延期", "cancel": "取消"}
STATUS_LABELS = {"open": "待确认", "asked": "待补充说明", "acknowledged": "已知悉"}
EVENT_STATUS_LABELS = {"draft": "草稿", "published": "已发布", "cancelled": "已取消", "closed": "已结束"}


class ChangeReportError(Exception):
    """Base of the errors an edge words for staff."""


class ReasonRequired(ChangeReportError):
    """A late change (or an answer to a question) needs its text."""


class ReportNotFound(ChangeReportError):
    """No such 报备."""


class NotCoordinator(ChangeReportError):
    """Only a coordinator acknowledges or asks back."""


def display(name: str, value: Any) -> str:
    """A field's value as staff and citizens read it (``—`` when empty)."""
    if value in (None, ""):
        return "—"
    if name == "starts_at":
        return wording.when(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)
    if name == "mode":
        return wording.MODE_LABELS.get(str(getattr(value, "value", value)), str(value))
    if name == "duration_minutes":
        return f"{value} 分钟"
    if name == "seats":
        return f"{value} 人"
    if name == "status":
        return EVENT_STATUS_LABELS.get(str(getattr(value, "value", value)), str(value))
    return str(value)


def reported_changes(before: dict, after: dict) -> dict[str, tuple[Any, Any]]:
    """Of the changed fields, those a 报备 covers: name → (before, after)."""
    return {name: (before.get(name), after[name]) for name in REPORTED_FIELDS
            if name in after and before.get(name) != after.get(name)}


def is_late(event: Event, now: dt.datetime) -> bool:
    """Whether ``now`` is within :data:`LATE_WORKING_DAYS` working days of the event (its old date)."""
    today, day = clock.local(now).date(), clock.local(event.starts_at).date()
    return day <= today or workdays.estimate_between(today, day).value <= LATE_WORKING_DAYS


def check_reason(event: Event, changes: dict, reason: str, now: dt.datetime) -> None:
    """:class:`ReasonRequired` for a late change without a reason."""
    if changes and is_late(event, now) and not (reason or "").strip():
        raise ReasonRequired()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return clock.as_utc(value).isoformat()
    return getattr(value, "value", value)


def record(session, event: Event, kind: str, changes: dict[str, tuple[Any, Any]], reason: str, actor,
           now: dt.datetime, late: bool) -> EventChangeReport | None:
    """Write the 报备 of a change already made to ``event`` (``late`` judged before the change)."""
    if not changes:
        return None
    why = (reason or "").strip()
    report = EventChangeReport(
        event_id=event.id, unit_id=event.unit_id, kind=kind, created_at=now, late=late,
        before={k: _plain(v[0]) for k, v in changes.items()}, after={k: _plain(v[1]) for k, v in changes.items()},
        reason=why, reason_at=now if why else None, staff_id=getattr(actor, "id", None),
        reason_due_on=workdays.estimate_shift(clock.local(now).date(), LATE_WORKING_DAYS).value,
        status=ChangeReportStatus.OPEN)
    session.add(report)
    session.flush()  # the change itself is in the audit log already (event.update / postpone / cancel)
    return report


def change_lines(report: EventChangeReport) -> list[str]:
    """``地点：A → B`` for each field of the report."""
    return [f"{FIELD_LABELS[name]}：{display(name, report.before.get(name))} → {display(name, value)}"
            for name, value in report.after.items()]


def citizen_text(event: Event, report: EventChangeReport) -> str:
    """The one message applicants get about an edit: every change, and why."""
    lines = "；".join(change_lines(report))
    why = f"原因：{report.reason}。" if report.reason else ""
    return (f"您好：您报名的“{event.title}”有以下变更：{lines}。{why}"
            "如无法参加，可在公众号回复【我的报名】取消报名。给您带来不便，敬请谅解。")


def get(session, report_id: int) -> EventChangeReport:
    """One report or :class:`ReportNotFound`."""
    report = session.get(EventChangeReport, report_id)
    if report is None:
        raise ReportNotFound(report_id)
    return report


def add_reason(session, report_id: int, text: str, actor, now: dt.datetime) -> EventChangeReport:
    """The unit gives the reason it did not give with the change, or answers the coordinator's question."""
    report = get(session, report_id)
    answer = (text or "").strip()
    if not answer:
        raise ReasonRequired()
    if report.status == ChangeReportStatus.ASKED:
        report.answer = answer
    if not report.reason:
        report.reason, report.reason_at = answer, now
    report.status = ChangeReportStatus.OPEN
    audit.record(session, now, "change_report.answer", actor, report, after={"text": answer})
    return report


def decide(session, report_id: int, actor, now: dt.datetime, question: str = "") -> EventChangeReport:
    """The coordinator acknowledges (no ``question``) or asks back (with it)."""
    if getattr(actor, "role", None) != StaffRole.COORDINATOR:
        raise NotCoordinator(report_id)
    report = get(session, report_id)
    asked = (question or "").strip()
    report.status = ChangeReportStatus.ASKED if asked else ChangeReportStatus.ACKNOWLEDGED
    report.question = asked or report.question
    report.decided_by_id, report.decided_at = getattr(actor, "id", None), now
    audit.record(session, now, "change_report.ask" if asked else "change_report.acknowledge", actor, report,
                 after={"question": asked})
    return report


def is_unreported(report: EventChangeReport, today: dt.date) -> bool:
    """No reason by its due day, or the reason came after it."""
    if report.reason_at is None:
        return today > report.reason_due_on
    return clock.local(report.reason_at).date() > report.reason_due_on


def listing(session, unit_id: int | None = None, status: str = "") -> list[EventChangeReport]:
    """Reports newest first, for one unit or all, optionally of one status."""
    query = select(EventChangeReport).order_by(EventChangeReport.created_at.desc(), EventChangeReport.id.desc())
    if unit_id is not None:
        query = query.where(EventChangeReport.unit_id == unit_id)
    if status in STATUS_LABELS:
        query = query.where(EventChangeReport.status == status)
    return list(session.scalars(query))


@dataclass(frozen=True)
class BoardCounts:
    """What the dashboard and the compliance board count."""

    open: int
    asked: int
    late: int
    unreported: int


def board_counts(session, now: dt.datetime, unit_id: int | None = None) -> BoardCounts:
    """Reports waiting for the coordinator, asked back, made late, and not reported in time."""
    today = clock.local(now).date()
    reports = listing(session, unit_id)
    status = Counter(r.status for r in reports)
    return BoardCounts(status[ChangeReportStatus.OPEN], status[ChangeReportStatus.ASKED],
                       sum(r.late for r in reports), sum(is_unreported(r, today) for r in reports))


def per_unit(session, start: dt.datetime | None, end: dt.datetime | None, today: dt.date) -> dict[str, Counter]:
    """For the statistics: by unit name, how many reports, late ones, unreported ones, cancellations."""
    query = select(EventChangeReport)
    if start is not None:
        query = query.where(EventChangeReport.created_at >= start)
    if end is not None:
        query = query.where(EventChangeReport.created_at < end)
    counts: dict[str, Counter] = {}
    for report in session.scalars(query):
        row = counts.setdefault(report.unit.name, Counter())
        row["reports"] += 1
        row["late"] += report.late
        row["unreported"] += is_unreported(report, today)
        row[report.kind] += 1
    return counts
