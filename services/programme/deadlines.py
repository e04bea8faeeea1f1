"""The programme's timing rules, computed from the working-day calendar.

Every rule is counted in working days (:mod:`services.calendar.workdays`) around the
event's date in Asia/Shanghai:

* reminder to the selected participants: 1 working day before, at a set time;
* announcement of a livestreamed event: at the latest 3 working days before;
* selection notice: at the latest 1 working day before;
* materials (and the video of a policy lecture): at the latest 5 working days after.

A year without an official holiday schedule never stops the computation: the
calendar's conservative estimate is used and the result says so
(``estimated`` and ``missing_years``), so the console can show a warning.

:func:`compliance` judges one event against every rule that applies to it
(green: on track or done in time; amber: due within two working days, or
something needs a look; red: a deadline missed); :func:`compliance_board`
does it for every recent and upcoming event, worst first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from models import (
    Application,
    ApplicationStatus,
    Citizen,
    Event,
    EventKind,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    Unit,
)
from services.calendar import clock, workdays
from services.programme import deadline_texts

REMINDER_DAYS_BEFORE = 1
ANNOUNCEMENT_DAYS_BEFORE = 3
SELECTION_NOTICE_DAYS_BEFORE = 1
MATERIALS_DAYS_AFTER = 5
AMBER_WORKING_DAYS = 2  # a duty not done this close to its deadline turns amber
DEFAULT_REMINDER_TIME = dt.time(9, 0)
REMINDER_PURPOSE = "reminder"
PARTICIPANT_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN)

GREEN, AMBER, RED = "green", "amber", "red"
_SEVERITY = {GREEN: 0, AMBER: 1, RED: 2}

ANNOUNCEMENT, SELECTION_NOTICE, MATERIALS, REMINDER = "announcement", "selection_notice", "materials", "reminder"


@dataclass(frozen=True)
class RuleDate:
    """When a rule falls due for one event.

    ``day`` is the local date (the last day allowed, or the reminder's day);
    ``at`` the UTC instant: the end of ``day`` for a deadline, the send time for
    the reminder. ``estimated`` is true when a year involved has no official
    schedule (``missing_years``).
    """

    rule: str
    day: dt.date
    at: dt.datetime
    missing_years: frozenset[int] = frozenset()

    @property
    def estimated(self) -> bool:
        """The date rests on an estimated calendar year."""
        return bool(self.missing_years)


@dataclass(frozen=True)
class RuleStatus:
    """One rule judged for one event, for the compliance board."""

    rule: str
    label: str
    deadline: dt.date
    status: str  # green / amber / red
    reason: str
    done: bool = False
    done_at: dt.datetime | None = None
    overdue: bool = False  # the deadline passed and the duty is still not done
    estimated: bool = False
    missing_years: frozenset[int] = frozenset()


@dataclass
class EventCompliance:
    """Every applicable rule of one event, plus the worst status among them."""

    event_id: int
    title: str
    unit_id: int
    unit_name: str
    starts_at: dt.datetime
    rules: list[RuleStatus] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The worst status of the event's rules (green when none applies)."""
        return worst(rule.status for rule in self.rules)

    @property
    def estimated(self) -> bool:
        """Some deadline of the event rests on an estimated calendar year."""
        return any(rule.estimated for rule in self.rules)


def worst(statuses) -> str:
    """The most severe of ``statuses``."""
    return max(statuses, key=_SEVERITY.__getitem__, default=GREEN)


# --- dates -----------------------------------------------------------------------------------


def event_day(event: Event) -> dt.date:
    """The local (Asia/Shanghai) date the event takes place."""
    return clock.local(event.starts_at).date()


def _end_of(day: dt.date) -> dt.datetime:
    """The UTC instant when the local ``day`` is over."""
    return clock.to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=clock.SHANGHAI))


def _deadline(rule: str, day: dt.date, shift: int) -> RuleDate:
    """The deadline ``shift`` working days from ``day`` (estimated where a year is missing)."""
    answer = workdays.estimate_shift(day, shift)
    return RuleDate(rule, answer.value, _end_of(answer.value), answer.missing_years)


def announcement_deadline(event: Event) -> RuleDate:
    """The last day a livestreamed event may be announced (3 working days before)."""
    return _deadline(ANNOUNCEMENT, event_day(event), -ANNOUNCEMENT_DAYS_BEFORE)


def selection_notice_deadline(event: Event) -> RuleDate:
    """The last day the selected may be told (1 working day before)."""
    return _deadline(SELECTION_NOTICE, event_day(event), -SELECTION_NOTICE_DAYS_BEFORE)


def materials_deadline(event: Event) -> RuleDate:
    """The last day materials (and a lecture's video) may be published (5 working days after)."""
    return _deadline(MATERIALS, clock.local(event.ends_at).date(), MATERIALS_DAYS_AFTER)


def reminder_due_at(event: Event, at: dt.time = DEFAULT_REMINDER_TIME) -> RuleDate:
    """When the participants' reminder goes out: 1 working day before, at ``at`` local time."""
    answer = workdays.estimate_shift(event_day(event), -REMINDER_DAYS_BEFORE)
    moment = clock.to_utc(dt.datetime.combine(answer.value, at, tzinfo=clock.SHANGHAI))
    return RuleDate(REMINDER, answer.value, moment, answer.missing_years)


def notice_due_at(deadline: RuleDate, at: dt.time) -> dt.datetime:
    """When staff are reminded of a deadline: the working day before it, at ``at``."""
    day = workdays.estimate_shift(deadline.day, -1).value
    return clock.to_utc(dt.datetime.combine(day, at, tzinfo=clock.SHANGHAI))


def applicable_deadlines(event: Event) -> list[RuleDate]:
    """The deadlines (not the reminder) that apply to ``event``."""
    rules = []
    if event.is_livestreamed:
        rules.append(announcement_deadline(event))
    if event.takes_applications:
        rules.append(selection_notice_deadline(event))
    rules.append(materials_deadline(event))
    return rules


# --- judging ----------------------------------------------------------------------------------


def compliance(session, event: Event, now: dt.datetime) -> list[RuleStatus]:
    """Every rule that applies to ``event``, judged at ``now`` (none for a cancelled event)."""
    if event.status == EventStatus.CANCELLED:
        return []
    judged = []
    for deadline in applicable_deadlines(event):
        done_at, missing = _duty(event, deadline.rule)
        judged.append(_judge(deadline, done_at, missing, now, _not_before(event, deadline.rule)))
    if event.takes_applications:
        judged.append(_judge_reminder(session, event, now))
    return judged


def _duty(event: Event, rule: str) -> tuple[dt.datetime | None, list[str]]:
    """When the duty behind ``rule`` was done (None: not done), and what is still missing.

    An announcement counts as done once published; missing fields only make it amber.
    Materials count as done once published with the link (and a lecture's video).
    """
    if rule == ANNOUNCEMENT:
        missing = [deadline_texts.FIELD_LABELS[name] for name in ("agenda", "online_participation")
                   if not (getattr(event, name) or "").strip()]
        return event.announced_at, missing
    if rule == SELECTION_NOTICE:
        return event.selection_notified_at, []
    missing = [deadline_texts.FIELD_LABELS[name] for name in ("materials_url", "video_url")
               if not getattr(event, name) and (name == "materials_url" or event.kind == EventKind.POLICY_LECTURE)]
    return (None if missing else event.materials_published_at), missing


def _not_before(event: Event, rule: str) -> dt.datetime | None:
    """Materials cannot be due before the event has ended."""
    return event.ends_at if rule == MATERIALS else None


def _judge(deadline: RuleDate, done_at: dt.datetime | None, missing: list[str], now: dt.datetime,
           not_before: dt.datetime | None) -> RuleStatus:
    """Green, amber or red for one deadline."""
    label = deadline_texts.RULE_LABELS[deadline.rule]
    base = {"rule": deadline.rule, "label": label, "deadline": deadline.day,
            "estimated": deadline.estimated, "missing_years": deadline.missing_years}
    warn = deadline_texts.estimated_note(deadline.missing_years)
    if done_at is not None:
        in_time = clock.local(done_at).date() <= deadline.day
        status = (AMBER if missing else GREEN) if in_time else RED
        reason = deadline_texts.done_reason(label, done_at, deadline.day, in_time, missing)
        return RuleStatus(**base, status=status, reason=reason + warn, done=True, done_at=done_at)
    if not_before is not None and now < not_before:
        return RuleStatus(**base, status=GREEN, reason=deadline_texts.not_yet_due(label, deadline.day) + warn)
    today = clock.local(now).date()
    if today > deadline.day:
        return RuleStatus(**base, status=RED, overdue=True, reason=deadline_texts.overdue(label, deadline.day, missing) + warn)
    left = workdays.estimate_between(today, deadline.day).value
    status = AMBER if left <= AMBER_WORKING_DAYS else GREEN
    return RuleStatus(**base, status=status, reason=deadline_texts.pending(label, deadline.day, left, missing) + warn)


def _judge_reminder(session, event: Event, now: dt.datetime) -> RuleStatus:
    """Whether the selected participants were (or will be) reminded."""
    due = reminder_due_at(event)
    base = {"rule": REMINDER, "label": deadline_texts.RULE_LABELS[REMINDER], "deadline": due.day,
            "estimated": due.estimated, "missing_years": due.missing_years}
    warn = deadline_texts.estimated_note(due.missing_years)
    if now < due.at:
        return RuleStatus(**base, status=GREEN, reason=deadline_texts.reminder_planned(due.at) + warn)
    eligible = count_participants(session, event.id)
    counts = reminder_counts(session, event)
    sent, failed = counts.get(OutboxStatus.SENT, 0), counts.get(OutboxStatus.FAILED, 0)
    queued = counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0)
    if failed:
        return RuleStatus(**base, status=AMBER, reason=deadline_texts.reminder_failed(sent, failed) + warn)
    if sent + queued >= eligible:
        return RuleStatus(**base, status=GREEN, done=queued == 0,
                          reason=deadline_texts.reminder_sent(sent, queued) + warn)
    status = RED if now >= event.starts_at else AMBER
    return RuleStatus(**base, status=status, overdue=status == RED,
                      reason=deadline_texts.reminder_missing(eligible - sent - queued) + warn)


def reminder_subject(event: Event) -> str:
    """The outbox subject of an event's reminders: a moved event gets a new one."""
    return f"event:{event.id}:{clock.local(event.starts_at):%Y-%m-%dT%H:%M}"


def participants_query(event_id: int):
    """Openids of the selected participants who follow the account (invitees without one are told offline)."""
    return (
        select(Citizen.openid)
        .join(Application, Application.citizen_id == Citizen.id)
        .where(Application.event_id == event_id, Application.status.in_(PARTICIPANT_STATUSES),
               Application.erased_at.is_(None), Citizen.following.is_(True), Citizen.erased_at.is_(None))
        .order_by(Application.id)
    )


def count_participants(session, event_id: int) -> int:
    """How many selected participants can be reminded through WeChat."""
    return session.scalar(select(func.count()).select_from(participants_query(event_id).subquery())) or 0


def reminder_counts(session, event: Event) -> dict[OutboxStatus, int]:
    """The event's current reminder rows by status."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).where(
            OutboxMessage.purpose == REMINDER_PURPOSE, OutboxMessage.subject == reminder_subject(event)
        ).group_by(OutboxMessage.status)
    )
    return {OutboxStatus(status): count for status, count in rows}


# --- the board --------------------------------------------------------------------------------


def compliance_board(session, now: dt.datetime, unit_id: int | None = None, days_back: int = 45,
                     days_ahead: int = 90) -> list[EventCompliance]:
    """Every event around ``now`` (not cancelled) with its rules, worst status first, then by date."""
    query = (
        select(Event, Unit.name).join(Unit, Unit.id == Event.unit_id)
        .where(Event.status != EventStatus.CANCELLED,
               Event.starts_at >= now - dt.timedelta(days=days_back),
               Event.starts_at <= now + dt.timedelta(days=days_ahead))
        .order_by(Event.starts_at)
    )
    if unit_id is not None:
        query = query.where(Event.unit_id == unit_id)
    board = [
        EventCompliance(event.id, event.title, event.unit_id, unit_name, event.starts_at,
                        compliance(session, event, now))
        for event, unit_name in session.execute(query)
    ]
    board.sort(key=lambda item: (-_SEVERITY[item.status], item.starts_at))
    return board


def overdue_items(session, now: dt.datetime, unit_id: int | None = None) -> list[tuple[EventCompliance, RuleStatus]]:
    """(event, rule) pairs whose deadline passed with the duty still not done."""
    return [(item, rule) for item in compliance_board(session, now, unit_id)
            for rule in item.rules if rule.overdue]
