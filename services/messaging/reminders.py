"""Find the reminders and deadline notices that are due, and queue them in the outbox, idempotently.

The scheduler calls these functions on every tick; they look at the database
as it is *now*, so nothing has to be booked in advance: an event moved to
another day simply has another reminder subject (``event:<id>:<local start>``)
and its stale, not yet sent reminders are cancelled; after a downtime the
next tick finds everything that fell due meanwhile. The outbox key
(recipient, purpose, subject) makes every call safe to repeat.

* participants: one working day before the event at ``REMINDER_TIME``, to every
  selected participant who follows the account, until the event starts. Each
  reminder carries the participant's check-in code and links to their entry
  pass (``services.programme.links.pass_url``), the page they show at the door.
  Directed invitees without a WeChat account get no message: the unit tells
  them by phone.
* unit staff: the working day before each deadline (announcement, selection
  notice, materials) at ``DEADLINE_NOTICE_TIME``, while the duty is not done.
* coordinators: on working days at ``DIGEST_TIME``, a digest of overdue items.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from models import Application, Event, EventStatus, OutboxMessage, OutboxStatus, StaffRole, StaffUser
from services.calendar import clock, workdays
from services.messaging import outbox, wording
from services.participation.checkin_codes import assign_checkin_code
from services.programme import deadline_texts, deadlines, links

REMINDER = deadlines.REMINDER_PURPOSE
DEADLINE = "deadline"
DIGEST = "digest"
# A working day before an event can lie 10+ days back (Spring Festival); look far enough ahead.
HORIZON = dt.timedelta(days=21)
DIGEST_MAX_LINES = 15
TEXT_LIMIT = 2000  # bytes; a customer-service text stays under 2,048


@dataclass(frozen=True)
class ReminderSettings:
    """What the reminder jobs need from the settings."""

    reminder_time: dt.time = dt.time(9, 0)
    reminder_text: str = "【活动提醒】您入选的“{title}”将于{time}在{place}举行。"
    notice_time: dt.time = dt.time(9, 0)
    digest_time: dt.time = dt.time(9, 0)
    public_base_url: str = ""

    @classmethod
    def from_settings(cls, settings) -> ReminderSettings:
        """Read ``REMINDER_TIME``, ``REMINDER_TEXT``, ``DEADLINE_NOTICE_TIME``, ``DIGEST_TIME``."""
        return cls(_time(settings.REMINDER_TIME), settings.REMINDER_TEXT, _time(settings.DEADLINE_NOTICE_TIME),
                   _time(settings.DIGEST_TIME), settings.PUBLIC_BASE_URL)


def _time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass
class Queued:
    """What one pass queued (new outbox rows) and cancelled."""

    created: int = 0
    cancelled: int = 0
    subjects: list[str] = field(default_factory=list)

    def add(self, other: Queued) -> None:
        """Sum two results."""
        self.created += other.created
        self.cancelled += other.cancelled
        self.subjects += other.subjects


def _enqueue_all(session, result: Queued, openids: Iterable[str], purpose: str, subject: str, payload: dict,
                 now: dt.datetime, due_at: dt.datetime) -> None:
    """Queue the message to every recipient who does not have it yet, counting the new rows."""
    have = set(session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.purpose == purpose, OutboxMessage.subject == subject)
    ))
    for openid in openids:
        if openid in have:
            continue
        have.add(openid)
        outbox.enqueue(session, openid, purpose, subject, dict(payload), now, due_at=due_at)
        result.created += 1
        if subject not in result.subjects:
            result.subjects.append(subject)


# --- participants -------------------------------------------------------------------------------


def upcoming_events(session, now: dt.datetime) -> list[Event]:
    """Published events starting within the look-ahead horizon."""
    return list(session.scalars(
        select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > now,
                            Event.starts_at <= now + HORIZON).order_by(Event.starts_at)
    ))


def reminder_payload(event: Event, cfg: ReminderSettings, code: str | None = None) -> dict:
    """Text for the customer-service channel, template fields for the template channel.

    With the participant's check-in ``code`` the text carries it with a link to the
    entry pass, and the card opens the pass (else the event page). The default
    reminder template has no field for the code: its link shows it; a template
    with one can take it as ``code`` through ``WECHAT_TEMPLATE_FIELDS``.
    """
    local = clock.local(event.starts_at)
    place = event.place or "线上直播"
    when = f"{local.month}月{local.day}日 {local:%H:%M}"
    text = cfg.reminder_text.format(title=event.title, time=when, place=place).rstrip()
    data = {"title": event.title, "time": f"{local:%Y年%m月%d日 %H:%M}", "place": place}
    payload = {"template": "reminder", "event_id": event.id}
    pass_url = _pass_url(code, cfg) if code else ""
    if code:
        text += wording.REMINDER_PASS.format(code=code, url=pass_url) if pass_url else \
            wording.REMINDER_CODE.format(code=code)
        data["code"] = code
    if pass_url:
        payload["url"] = pass_url
    elif cfg.public_base_url:
        payload["url"] = f"{cfg.public_base_url.rstrip('/')}/events/{event.id}"
    payload.update(text=wording.fit_bytes(tidy(text), TEXT_LIMIT), data=data)
    return payload


def tidy(text: str) -> str:
    """One full stop where pieces met with two (an operator's REMINDER_TEXT, a place typed with its own 。)."""
    return re.sub(r"。(\s*)。+", r"。\1", text)


def _pass_url(code: str, cfg: ReminderSettings) -> str:
    """The entry pass of ``code``; empty when no public address is configured (the text still has the code)."""
    try:
        return links.pass_url(code, cfg.public_base_url or None)
    except RuntimeError:
        return ""


def remind_participants(session, now: dt.datetime, cfg: ReminderSettings) -> Queued:
    """Queue due reminders for every upcoming event; cancel reminders of moved or cancelled events."""
    result = Queued(cancelled=cancel_stale_reminders(session, now))
    for event in upcoming_events(session, now):
        due = deadlines.reminder_due_at(event, cfg.reminder_time)
        if now < due.at:
            continue
        subject = deadlines.reminder_subject(event)
        for openid, application in session.execute(deadlines.participants_query(event.id).add_columns(Application)):
            # Each participant's own code and pass (a late invitee without a code gets one now).
            payload = reminder_payload(event, cfg, assign_checkin_code(session, application))
            _enqueue_all(session, result, [openid], REMINDER, subject, payload, now, due.at)
    return result


def cancel_stale_reminders(session, now: dt.datetime) -> int:
    """Cancel unsent reminders whose event was moved, cancelled or already started."""
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.purpose == REMINDER, OutboxMessage.status == OutboxStatus.PENDING)
    ).all()
    events: dict[int, Event | None] = {}
    cancelled = 0
    for row in rows:
        event_id = _event_id(row.subject)
        if event_id not in events:
            events[event_id] = session.get(Event, event_id) if event_id is not None else None
        event = events[event_id]
        current = (event is not None and event.status == EventStatus.PUBLISHED and event.starts_at > now
                   and row.subject == deadlines.reminder_subject(event))
        if not current:
            row.status, row.updated_at = OutboxStatus.CANCELLED, now
            row.last_error = "活动已改期、取消或已开始，提醒作废"
            cancelled += 1
    return cancelled


def _event_id(subject: str) -> int | None:
    """The event id in ``event:<id>:<start>``."""
    parts = subject.split(":", 2)
    return int(parts[1]) if len(parts) == 3 and parts[0] == "event" and parts[1].isdigit() else None


# --- unit staff -------------------------------------------------------------------------------


def staff_openids(session, role: StaffRole, unit_id: int | None = None) -> list[str]:
    """Openids of active staff bound to WeChat (role, and unit for unit staff)."""
    query = select(StaffUser.openid).where(StaffUser.role == role, StaffUser.active.is_(True),
                                           StaffUser.openid != "")
    if unit_id is not None:
        query = query.where(StaffUser.unit_id == unit_id)
    return list(dict.fromkeys(session.scalars(query.order_by(StaffUser.id))))


def staff_events(session, now: dt.datetime) -> list[Event]:
    """Events whose deadlines may still need a reminder (from a month back to the horizon)."""
    return list(session.scalars(
        select(Event).where(Event.status.in_((EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.CLOSED)),
                            Event.starts_at > now - dt.timedelta(days=31),
                            Event.starts_at <= now + HORIZON).order_by(Event.starts_at)
    ))


def due_notices(session, event: Event, now: dt.datetime, cfg: ReminderSettings
                ) -> Iterable[tuple[deadlines.RuleStatus, dt.datetime]]:
    """(rule, notice time) of the event's open duties whose notice time has come."""
    statuses = {status.rule: status for status in deadlines.compliance(session, event, now)}
    for deadline in deadlines.applicable_deadlines(event):
        status = statuses.get(deadline.rule)
        if status is None or status.done or status.overdue:
            continue
        at = deadlines.notice_due_at(deadline, cfg.notice_time)
        if deadline.rule == deadlines.MATERIALS:
            at = max(at, event.ends_at)
        if now >= at:
            yield status, at


def remind_staff(session, now: dt.datetime, cfg: ReminderSettings) -> Queued:
    """Queue deadline reminders to the responsible unit's staff."""
    result = Queued()
    for event in staff_events(session, now):
        for status, at in due_notices(session, event, now, cfg):
            subject = f"{status.rule}:{event.id}:{status.deadline.isoformat()}"
            payload = {
                "text": deadline_texts.deadline_notice(event.title, status.rule, status.deadline),
                "template": "notice",
                # A card's ``time`` field holds a time: the deadline day goes into the item, the time is the notice's.
                "data": {"item": wording.DEADLINE_ITEM.format(duty=deadline_texts.SHORT_LABELS[status.rule],
                                                              day=wording.month_day(status.deadline)),
                         "title": event.title, "time": wording.when_short(at)},
                "event_id": event.id,
            }
            _enqueue_all(session, result, staff_openids(session, StaffRole.UNIT, event.unit_id),
                         DEADLINE, subject, payload, now, at)
    return result


# --- coordinators -----------------------------------------------------------------------------


def digest_due_at(day: dt.date, cfg: ReminderSettings) -> dt.datetime | None:
    """When the digest of ``day`` goes out (None: not a working day)."""
    if not workdays.is_working_day(day, strict=False):
        return None
    return clock.to_utc(dt.datetime.combine(day, cfg.digest_time, tzinfo=clock.SHANGHAI))


def digest_text(items, today: dt.date) -> str:
    """The digest: one line per overdue item, cut to fit a customer-service text."""
    text = deadline_texts.DIGEST_HEADER.format(today=deadline_texts.day_label(today), count=len(items))
    for number, (event, rule) in enumerate(items, 1):
        line = deadline_texts.DIGEST_LINE.format(number=number, unit=event.unit_name, title=event.title,
                                        duty=deadline_texts.SHORT_LABELS[rule.rule], deadline=deadline_texts.day_label(rule.deadline))
        more = deadline_texts.DIGEST_MORE.format(count=len(items) - number + 1)
        if number > DIGEST_MAX_LINES or len((text + line + more).encode()) > TEXT_LIMIT:
            return text + more
        text += line
    return text


def send_digest(session, now: dt.datetime, cfg: ReminderSettings) -> Queued:
    """Queue today's digest of overdue items to every coordinator (once a working day)."""
    result = Queued()
    today = clock.local(now).date()
    due = digest_due_at(today, cfg)
    if due is None or now < due:
        return result
    items = deadlines.overdue_items(session, now)
    if not items:
        return result
    payload = {
        "text": digest_text(items, today),
        "template": "notice",
        "data": {"item": deadline_texts.DIGEST_ITEM.format(count=len(items)), "title": items[0][0].title,
                 "time": wording.when_short(due)},
    }
    _enqueue_all(session, result, staff_openids(session, StaffRole.COORDINATOR), DIGEST,
                 f"digest:{today.isoformat()}", payload, now, due)
    return result
