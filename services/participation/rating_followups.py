"""Follow-ups of a 差评 (回访、整改): the event's unit calls back within 1 working day and
answers within 15 working days (the working-day calendar); the answer is pushed to the citizen.

A follow-up is red when a deadline passed with the duty not done, amber on the
deadline day, green otherwise; a finished one is on time when both were kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from models import Citizen, Event, Rating, RatingFollowUp
from services.admin import audit
from services.calendar import clock, workdays
from services.messaging import outbox, wording
from services.participation import rating_texts

CALLBACK_WORKING_DAYS = 1
REPLY_WORKING_DAYS = 15
REPLY_CHARS = 1000
PURPOSE = "rating_reply"
GREEN, AMBER, RED, DONE = "green", "amber", "red", "done"


class FollowUpError(Exception):
    """Base of the follow-up errors."""


class FollowUpNotFound(FollowUpError):
    """No such follow-up (or not the staff member's unit)."""


class InvalidFollowUp(FollowUpError):
    """An empty or too long note or reply (``field`` says which)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def open_for(session, rating: Rating, now: dt.datetime) -> RatingFollowUp:
    """The rating's follow-up, opened now with its deadlines unless it exists."""
    existing = session.scalar(select(RatingFollowUp).where(RatingFollowUp.rating_id == rating.id))
    if existing is not None:
        return existing
    event = session.get(Event, rating.event_id)
    today = clock.local(now).date()
    callback, reply = workdays.estimate_shift(today, CALLBACK_WORKING_DAYS), workdays.estimate_shift(
        today, REPLY_WORKING_DAYS)
    follow_up = RatingFollowUp(rating_id=rating.id, event_id=event.id, unit_id=event.unit_id, opened_at=now,
                               callback_due=callback.value, reply_due=reply.value,
                               deadlines_estimated=bool(callback.missing_years or reply.missing_years))
    session.add(follow_up)
    session.flush()
    return follow_up


@dataclass(frozen=True)
class FollowUpState:
    """Where a follow-up stands on ``today``: colour, what is late, whether it kept its deadlines."""

    status: str
    overdue: tuple[str, ...]
    on_time: bool | None  # None while open


def state(follow_up: RatingFollowUp, today: dt.date) -> FollowUpState:
    """Red / amber / green / done, judged on the local date ``today``."""
    called = clock.local(follow_up.called_back_at).date() if follow_up.called_back_at else None
    replied = clock.local(follow_up.replied_at).date() if follow_up.replied_at else None
    if replied is not None:
        on_time = replied <= follow_up.reply_due and (called or replied) <= follow_up.callback_due
        return FollowUpState(DONE, (), on_time)
    overdue = []
    if called is None and today > follow_up.callback_due:
        overdue.append("callback")
    if today > follow_up.reply_due:
        overdue.append("reply")
    if overdue:
        return FollowUpState(RED, tuple(overdue), None)
    due_today = (called is None and today == follow_up.callback_due) or today == follow_up.reply_due
    return FollowUpState(AMBER if due_today else GREEN, (), None)


def listing(session, unit_id: int | None = None, open_only: bool = False) -> list[RatingFollowUp]:
    """Follow-ups, newest first, for one unit or all."""
    query = select(RatingFollowUp).order_by(RatingFollowUp.opened_at.desc(), RatingFollowUp.id.desc())
    if unit_id is not None:
        query = query.where(RatingFollowUp.unit_id == unit_id)
    if open_only:
        query = query.where(RatingFollowUp.replied_at.is_(None))
    return list(session.scalars(query))


def overdue(session, now: dt.datetime, unit_id: int | None = None) -> list[tuple[RatingFollowUp, FollowUpState]]:
    """Open follow-ups past a deadline, oldest first."""
    today = clock.local(now).date()
    found = [(f, state(f, today)) for f in reversed(listing(session, unit_id, open_only=True))]
    return [(f, s) for f, s in found if s.status == RED]


def get(session, follow_up_id: int, unit_id: int | None = None) -> RatingFollowUp:
    """One follow-up (within ``unit_id`` when given); :class:`FollowUpNotFound` otherwise."""
    follow_up = session.get(RatingFollowUp, follow_up_id)
    if follow_up is None or (unit_id is not None and follow_up.unit_id != unit_id):
        raise FollowUpNotFound(follow_up_id)
    return follow_up


def _clean(text: str | None, field: str) -> str:
    value = (text or "").strip()
    if not value or len(value) > REPLY_CHARS:
        raise InvalidFollowUp(field)
    return value


def record_callback(session, follow_up_id: int, staff, note: str, now: dt.datetime, unit_id: int | None = None,
                    ip: str = "") -> RatingFollowUp:
    """The unit called the citizen back (回访): when, and what was said."""
    follow_up = get(session, follow_up_id, unit_id)
    text = _clean(note, "note")
    before = {"called_back_at": follow_up.called_back_at, "callback_note": follow_up.callback_note}
    follow_up.callback_note = text
    follow_up.called_back_at = follow_up.called_back_at or now
    audit.record(session, now, "rating.callback", actor=staff, obj=follow_up, before=before,
                 after={"called_back_at": follow_up.called_back_at, "callback_note": text}, ip=ip)
    return follow_up


def answer(session, follow_up_id: int, staff, reply: str, now: dt.datetime, unit_id: int | None = None,
           ip: str = "") -> RatingFollowUp:
    """The unit's answer (整改答复): saved, audited and pushed to the citizen once (outbox)."""
    follow_up = get(session, follow_up_id, unit_id)
    text = _clean(reply, "reply")
    if follow_up.replied_at is not None:
        raise InvalidFollowUp("replied")
    follow_up.reply, follow_up.replied_at = text, now
    follow_up.replied_by_id = getattr(staff, "id", None)
    follow_up.called_back_at = follow_up.called_back_at or now
    audit.record(session, now, "rating.reply", actor=staff, obj=follow_up, after={"reply": text}, ip=ip)
    _push(session, follow_up, now)
    return follow_up


def _push(session, follow_up: RatingFollowUp, now: dt.datetime) -> None:
    rating = follow_up.rating
    citizen = session.get(Citizen, rating.citizen_id)
    if citizen is None or citizen.erased_at is not None:
        return
    event = follow_up.event
    text = rating_texts.FOLLOW_UP_REPLY.format(title=event.title, level=rating_texts.LEVELS[rating.level],
                                        unit=follow_up.unit.name, reply=follow_up.reply)
    payload = {"text": wording.fit_bytes(text), "template": "reply",
               "data": {"subject": event.title, "result": "已整改答复", "unit": follow_up.unit.name,
                        "time": wording.when_short(now)}}
    outbox.enqueue(session, citizen.openid, PURPOSE, f"followup:{follow_up.id}", payload, now)
