"""What the scheduler will send, and when, over the next days (``flask scheduler plan``).

The plan is computed from the database as it is now with the same rules the
jobs use (:mod:`services.messaging.reminders`): messages already queued and waiting,
participant reminders, deadline reminders to unit staff, the coordinators'
daily digest (sent only when something is overdue on the day), and the invitations
to rate an event (好差评, :mod:`services.participation.rating_invitations`): they go
out when the event ends to the people checked in, so before it ends the plan counts
the selected participants (the most there can be), afterwards the checked-in ones
not yet invited, until the rating window closes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from models import Application, Event, EventStatus, OutboxMessage, OutboxPurpose, OutboxStatus, StaffRole, purpose_label
from services.calendar import clock
from services.messaging import reminders
from services.messaging.reminders import ReminderSettings
from services.participation import rating_invitations, ratings
from services.programme import deadline_texts, deadlines

RATING_INVITE = OutboxPurpose.RATING_INVITE.label
BEFORE_END_NOTE = "活动结束时发给已签到人员，此处为入选人数（上限）"
AFTER_END_NOTE = "活动已结束，发给尚未邀请的已签到人员"


@dataclass(frozen=True)
class PlannedSend:
    """One planned send: when, what, to how many people."""

    at: dt.datetime
    kind: str
    subject: str
    recipients: int
    note: str = ""


def plan(session, now: dt.datetime, days: int, cfg: ReminderSettings) -> list[PlannedSend]:
    """Everything planned between ``now`` and ``now + days``, in time order."""
    end = now + dt.timedelta(days=days)
    items = _queued(session, end) + _participant_reminders(session, now, end, cfg)
    items += _staff_notices(session, now, end, cfg) + _digests(session, now, end, cfg)
    items += _rating_invitations(session, now, end)
    return sorted(items, key=lambda item: (item.at, item.kind, item.subject))


def _queued(session, end: dt.datetime) -> list[PlannedSend]:
    """Rows already in the outbox, waiting (a past due time means: as soon as a worker is free)."""
    rows = session.execute(
        select(OutboxMessage.purpose, OutboxMessage.subject, func.min(OutboxMessage.due_at), func.count())
        .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)), OutboxMessage.due_at <= end)
        .group_by(OutboxMessage.purpose, OutboxMessage.subject)
    )
    return [PlannedSend(due_at, purpose_label(purpose), subject_text(session, subject), count, "已排队")
            for purpose, subject, due_at, count in rows]


# Subject prefixes whose number is an event, or a row that belongs to one.
_EVENT_SUBJECTS = {"event": Event, "rating": Event, "application": Application,
                   **{rule: Event for rule in (deadlines.ANNOUNCEMENT, deadlines.SELECTION_NOTICE, deadlines.REMINDER,
                                               deadlines.MATERIALS)}}


def subject_text(session, subject: str) -> str:
    """What a queued row is about, in words (the event's title), never the internal key."""
    kind, _, rest = subject.partition(":")
    ident = rest.split(":", 1)[0].split("@", 1)[0]
    model = _EVENT_SUBJECTS.get(kind)
    if model is not None and ident.isdigit():
        row = session.get(model, int(ident))
        event = row.event if isinstance(row, Application) else row
        if event is not None:
            return event.title
    if kind == "digest":
        try:
            return deadline_texts.day_label(dt.date.fromisoformat(rest))
        except ValueError:
            return ""
    return SUBJECT_WORDS.get(kind, "")


SUBJECT_WORDS = {"broadcast": "群发消息", "suggestion": "意见建议", "followup": "差评回访", "question": "讲座提问",
                 "progress": "采纳建议落实进展"}


def _missing(session, purpose: str, subject: str, openids: list[str]) -> int:
    """Recipients who do not have the message yet."""
    have = set(session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.purpose == purpose, OutboxMessage.subject == subject)))
    return len(set(openids) - have)


def _participant_reminders(session, now, end, cfg: ReminderSettings) -> list[PlannedSend]:
    events = session.scalars(select(Event).where(
        Event.status == EventStatus.PUBLISHED, Event.starts_at > now,
        Event.starts_at <= end + reminders.HORIZON))
    items = []
    for event in events:
        due = deadlines.reminder_due_at(event, cfg.reminder_time)
        at = max(due.at, now)
        if due.at > end or event.starts_at <= at:
            continue
        subject = deadlines.reminder_subject(event)
        count = _missing(session, reminders.REMINDER, subject,
                         list(session.scalars(deadlines.participants_query(event.id))))
        if count:
            items.append(PlannedSend(at, OutboxPurpose.REMINDER.label, event.title, count,
                                     deadline_texts.estimated_note(due.missing_years)))
    return items


def _staff_notices(session, now, end, cfg: ReminderSettings) -> list[PlannedSend]:
    items = []
    for event in reminders.staff_events(session, end):
        statuses = {s.rule: s for s in deadlines.compliance(session, event, now)}
        openids = reminders.staff_openids(session, StaffRole.UNIT, event.unit_id)
        for deadline in deadlines.applicable_deadlines(event):
            status = statuses.get(deadline.rule)
            if status is None or status.done or status.overdue:
                continue
            at = deadlines.notice_due_at(deadline, cfg.notice_time)
            at = max(at, event.ends_at) if deadline.rule == deadlines.MATERIALS else at
            subject = f"{deadline.rule}:{event.id}:{deadline.day.isoformat()}"
            count = _missing(session, reminders.DEADLINE, subject, openids)
            if at <= end and count:
                items.append(PlannedSend(max(at, now), OutboxPurpose.DEADLINE.label,
                                         f"{event.title}：{deadline_texts.SHORT_LABELS[deadline.rule]}", count,
                                         f"期限{deadline_texts.day_label(deadline.day)}"))
    return items


def _digests(session, now, end, cfg: ReminderSettings) -> list[PlannedSend]:
    coordinators = reminders.staff_openids(session, StaffRole.COORDINATOR)
    if not coordinators:
        return []
    items, day = [], now.astimezone(clock.SHANGHAI).date()
    while True:
        due = reminders.digest_due_at(day, cfg)
        if due is not None and due > end:
            break
        subject = f"digest:{day.isoformat()}"
        if due is not None and _missing(session, reminders.DIGEST, subject, coordinators):
            items.append(PlannedSend(max(due, now), OutboxPurpose.DIGEST.label, deadline_texts.day_label(day), len(coordinators),
                                     "仅在当天有逾期事项时发送"))
        day += dt.timedelta(days=1)
        if day > end.astimezone(clock.SHANGHAI).date():
            break
    return items


def _rating_invitations(session, now: dt.datetime, end: dt.datetime) -> list[PlannedSend]:
    """Invitations to rate: at each event's end (or now, for an event over and still open for rating)."""
    events = session.scalars(select(Event).where(
        Event.status.in_(ratings.RATED_STATUSES), Event.starts_at <= end,
        Event.starts_at > now - ratings.WINDOW - dt.timedelta(days=2)).order_by(Event.starts_at))
    items = []
    for event in events:
        if event.ends_at > end or ratings.closes_at(event) <= now:
            continue
        ended = event.ends_at <= now
        openids = (rating_invitations.checked_in_openids(session, event.id) if ended
                   else list(session.scalars(deadlines.participants_query(event.id))))
        subject = rating_invitations.subject(event.id)
        count = _missing(session, rating_invitations.PURPOSE, subject, openids)
        if count:
            items.append(PlannedSend(max(event.ends_at, now), RATING_INVITE, event.title, count,
                                     AFTER_END_NOTE if ended else BEFORE_END_NOTE))
    return items
