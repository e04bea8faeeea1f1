"""Adopted suggestions followed to done (采纳建议落实情况).

An adopted or partly adopted suggestion gets progress updates from its unit:
研究中 / 实施中 / 已完成, each with a short note and the day it was reached. Every
update is pushed to the citizen once (outbox, keyed by the update), shown in
我的建议 and listed on a public page without personal data. An adoption whose
last word (its reply or its latest update) is 30 working days old, and which is
not done, is overdue (:func:`stale`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from models import Adoption, AdoptionProgress, Event, ProgressStage, Suggestion, SuggestionStatus
from services.admin import audit
from services.calendar import clock, workdays
from services.messaging import outbox, wording
from services.participation import progress_texts
from services.participation.suggestions import SuggestionNotFound

PUSH_PURPOSE = "adoption_progress"
MAX_NOTE_CHARS = 200
STALE_WORKING_DAYS = 30
FOLLOWED = (Adoption.ADOPTED, Adoption.PARTLY)


class ProgressError(Exception):
    """Base of the errors an edge words for staff."""


class NotAdopted(ProgressError):
    """Only a published 采纳 / 部分采纳 answer is followed to done."""


class InvalidStage(ProgressError):
    """Not one of 研究中 / 实施中 / 已完成."""


class NoteRequired(ProgressError):
    """The update needs a short note."""


class NoteTooLong(ProgressError):
    """More than :data:`MAX_NOTE_CHARS` characters; ``length`` says how many."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(length)


class BadProgressDate(ProgressError):
    """The day is in the future or before the suggestion was answered."""


class AlreadyDone(ProgressError):
    """The suggestion was reported 已完成: nothing follows."""


def stage_label(stage: ProgressStage | str) -> str:
    """研究中 / 实施中 / 已完成."""
    return progress_texts.STAGE_LABELS[ProgressStage(stage).value]


def history(session, suggestion_id: int) -> list[AdoptionProgress]:
    """The updates of a suggestion, oldest first."""
    return list(session.scalars(select(AdoptionProgress).where(AdoptionProgress.suggestion_id == suggestion_id)
                                .order_by(AdoptionProgress.progress_on, AdoptionProgress.id)))


def latest(session, suggestion_id: int) -> AdoptionProgress | None:
    """The newest update, if any."""
    found = history(session, suggestion_id)
    return found[-1] if found else None


def is_followed(suggestion: Suggestion) -> bool:
    """Whether the suggestion's published answer adopted it (fully or partly)."""
    return suggestion.status == SuggestionStatus.REPLIED and suggestion.adoption in FOLLOWED


def _checked(suggestion: Suggestion, stage: str, note: str, day: dt.date | None, now: dt.datetime):
    """The stage, note and day of an update, or the first reason it cannot be recorded."""
    if not is_followed(suggestion):
        raise NotAdopted(suggestion.id)
    try:
        stage_value = ProgressStage(stage)
    except ValueError:
        raise InvalidStage(stage) from None
    text = " ".join((note or "").split())
    if not text:
        raise NoteRequired()
    if len(text) > MAX_NOTE_CHARS:
        raise NoteTooLong(len(text))
    today = clock.local(now).date()
    day = day or today
    answered_on = clock.local(suggestion.replied_at).date() if suggestion.replied_at else day
    if day > today or day < answered_on:
        raise BadProgressDate(day)
    return stage_value, text, day


def add(session, suggestion_id: int, staff, stage: str, note: str, day: dt.date | None, now: dt.datetime,
        ip: str = "") -> AdoptionProgress:
    """Record an update (audited) and queue its push to the citizen.

    The same update submitted twice (same stage, note and day as the latest) is kept
    once and pushed once.
    """
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    stage_value, text, day = _checked(suggestion, stage, note, day, now)
    previous = latest(session, suggestion.id)
    if previous is not None and (previous.stage, previous.note, previous.progress_on) == (stage_value, text, day):
        return previous
    if previous is not None and previous.stage == ProgressStage.DONE:
        raise AlreadyDone(suggestion.id)
    update = AdoptionProgress(suggestion_id=suggestion.id, stage=stage_value, note=text, progress_on=day,
                              staff_id=getattr(staff, "id", None), created_at=now)
    session.add(update)
    session.flush()
    suggestion.updated_at = now
    audit.record(session, now, "suggestion.progress", actor=staff, obj=suggestion,
                 after={"stage": stage_value, "note": text, "day": day.isoformat()}, ip=ip)
    _queue_push(session, suggestion, update, now)
    return update


def _unit_name(suggestion: Suggestion) -> str:
    unit = suggestion.event.unit if suggestion.event else suggestion.unit
    return unit.name if unit else ""


def _queue_push(session, suggestion: Suggestion, update: AdoptionProgress, now: dt.datetime) -> None:
    citizen = suggestion.citizen
    if citizen is None or not citizen.following or suggestion.erased_at is not None:
        return
    stage = stage_label(update.stage)
    text = progress_texts.PROGRESS_PUSH.format(tracking_no=suggestion.tracking_no, stage=stage,
                                               day=wording.full_date(update.progress_on), note=update.note,
                                               unit=_unit_name(suggestion) or "—")
    data = {"number": suggestion.tracking_no, "status": stage, "time": wording.when_short(now),
            "unit": _unit_name(suggestion) or wording.REPLY_UNIT_DEFAULT}
    payload = {"text": wording.fit_bytes(text, tail=progress_texts.PROGRESS_PUSH_TAIL), "template": "reply",
               "data": data}
    outbox.enqueue(session, citizen.openid, PUSH_PURPOSE, f"progress:{update.id}", payload, now)


@dataclass(frozen=True)
class PublicItem:
    """One adopted suggestion as the public page shows it: no text, no reply, nothing about the citizen."""

    tracking_no: str
    about: str
    unit: str
    adoption: str
    answered_on: dt.date | None
    updates: list[AdoptionProgress]
    suggestion_id: int = 0  # to look up its approved (masked) text; never shown

    @property
    def stage(self) -> str:
        """The latest stage's label, or 待报送."""
        return stage_label(self.updates[-1].stage) if self.updates else progress_texts.NO_UPDATE_YET


def _followed_query():
    return (select(Suggestion).where(Suggestion.status == SuggestionStatus.REPLIED,
                                     Suggestion.adoption.in_(FOLLOWED), Suggestion.erased_at.is_(None)))


def public_items(session, limit: int = 200) -> list[PublicItem]:
    """Adopted suggestions, most recently answered first, with their updates."""
    rows = session.scalars(_followed_query().order_by(Suggestion.replied_at.desc(), Suggestion.id.desc())
                           .limit(limit)).all()
    updates: dict[int, list[AdoptionProgress]] = {}
    if rows:
        for update in session.scalars(select(AdoptionProgress).where(
                AdoptionProgress.suggestion_id.in_([s.id for s in rows]))
                .order_by(AdoptionProgress.progress_on, AdoptionProgress.id)):
            updates.setdefault(update.suggestion_id, []).append(update)
    return [PublicItem(s.tracking_no, s.event.title if s.event else "", _unit_name(s),
                       wording.ADOPTION_LABELS[s.adoption.value],
                       clock.local(s.replied_at).date() if s.replied_at else None, updates.get(s.id, []), s.id)
            for s in rows]


@dataclass(frozen=True)
class StaleAdoption:
    """An adoption with no word for :data:`STALE_WORKING_DAYS` working days."""

    suggestion: Suggestion
    last_on: dt.date
    working_days: int
    estimated: bool


def stale(session, now: dt.datetime, unit_id: int | None = None) -> list[StaleAdoption]:
    """Adopted suggestions, not done, whose reply or latest update is ≥ 30 working days old (oldest first)."""
    today = clock.local(now).date()
    query = _followed_query().outerjoin(Event, Suggestion.event_id == Event.id)
    if unit_id is not None:
        query = query.where((Event.unit_id == unit_id) | ((Suggestion.event_id.is_(None)) &
                                                          (Suggestion.unit_id == unit_id)))
    found = []
    for suggestion in session.scalars(query):
        last = latest(session, suggestion.id)
        if last is not None and last.stage == ProgressStage.DONE:
            continue
        last_on = last.progress_on if last else clock.local(suggestion.replied_at or suggestion.created_at).date()
        counted = workdays.estimate_between(last_on, today)
        if counted.value >= STALE_WORKING_DAYS:
            found.append(StaleAdoption(suggestion, last_on, counted.value, not counted.is_exact))
    return sorted(found, key=lambda item: item.last_on)
