"""Suggestions (意见建议): create with a tracking number, list, attach images, reply.

Tracking numbers are ``JY{yyyymmdd}-{seq:04d}``, counted per Beijing day. The
inbound message that created a suggestion is kept (``source_key``, unique), so
a message WeChat retries can never create a second suggestion.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from models import Adoption, Citizen, Event, Suggestion, SuggestionStatus, Unit, run
from services import intake
from services.admin import audit
from services.calendar import clock
from services.messaging import outbox, wording
from services.participation import citizens

MIN_CHARS = 5
MAX_CHARS = 1000
MAX_ATTACHMENTS = 9
REPLY_PURPOSE = "suggestion_reply"
# A picture sent shortly after a suggestion is taken as part of it.
ATTACH_WINDOW = dt.timedelta(minutes=30)
REASON_REQUIRED = (Adoption.NOT_ADOPTED,)


class SuggestionError(Exception):
    """Base of the errors an edge turns into its own words."""


class SuggestionTooShort(SuggestionError):
    """Fewer than :data:`MIN_CHARS` characters."""


class SuggestionTooLong(SuggestionError):
    """More than :data:`MAX_CHARS` characters; ``length`` says how many."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(length)


class SuggestionNotFound(SuggestionError):
    """No such suggestion (of this citizen)."""


class TooManyAttachments(SuggestionError):
    """A suggestion carries at most :data:`MAX_ATTACHMENTS` pictures."""


class InvalidReply(SuggestionError):
    """A reply without text, with an unknown adoption status, or without a required reason."""


def clean_text(text: str) -> str:
    """The suggestion's text, trimmed and checked for length."""
    cleaned = text.strip()
    if len(cleaned) < MIN_CHARS:
        raise SuggestionTooShort(len(cleaned))
    if len(cleaned) > MAX_CHARS:
        raise SuggestionTooLong(len(cleaned))
    return cleaned


def tracking_prefix(now: dt.datetime) -> str:
    """``JY20261123-`` for the Beijing day of ``now``."""
    return f"JY{clock.local(now):%Y%m%d}-"


def _next_tracking_no(session, now: dt.datetime) -> str:
    prefix = tracking_prefix(now)
    last = session.scalar(select(func.max(Suggestion.tracking_no)).where(Suggestion.tracking_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def create(session, openid: str, text: str, now: dt.datetime, *, event_id: int | None = None,
           source_key: str | None = None, attachments: list[dict] | None = None) -> Suggestion:
    """Record a suggestion (about an event or general) and give it a tracking number.

    A second call with the same ``source_key`` returns the first suggestion. Past the citizen's
    hourly allowance: :class:`services.intake.TooManyPosts`, and nothing is stored.
    """
    cleaned = clean_text(text)
    if source_key:
        previous = session.scalar(select(Suggestion).where(Suggestion.source_key == source_key))
        if previous is not None:
            return previous
    intake.check_post(openid, intake.SUGGESTION, now)  # a retry (above) is not counted again
    event = session.get(Event, event_id) if event_id else None
    citizen = citizens.get_or_create(session, openid, now)
    repeat = _written_again(session, citizen.id, cleaned, event.id if event else None, now)
    if repeat is not None:
        return repeat
    for _ in range(20):
        suggestion = Suggestion(
            tracking_no=_next_tracking_no(session, now), citizen_id=citizen.id,
            event_id=event.id if event else None, unit_id=event.unit_id if event else None,
            text=cleaned, attachments=list(attachments or [])[:MAX_ATTACHMENTS], source_key=source_key,
            status=SuggestionStatus.RECEIVED, created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(suggestion)
            return suggestion
        except IntegrityError:
            # Either a retry of the same message (source_key) or a concurrent number: look, then draw again.
            if source_key:
                previous = session.scalar(select(Suggestion).where(Suggestion.source_key == source_key))
                if previous is not None:
                    return previous
    raise RuntimeError("could not allocate a tracking number")


RETYPED_WITHIN = dt.timedelta(minutes=10)


def _written_again(session, citizen_id: int, text: str, event_id: int | None, now: dt.datetime) -> Suggestion | None:
    """The same text on the same subject from the same citizen a few minutes ago: the citizen wrote it again
    because our answer was lost (WeChat showed "该公众号暂时无法提供服务"), not a second suggestion."""
    recent = session.scalars(select(Suggestion).where(
        Suggestion.citizen_id == citizen_id, Suggestion.created_at >= now - RETYPED_WITHIN,
        Suggestion.event_id.is_(None) if event_id is None else Suggestion.event_id == event_id))
    return next((suggestion for suggestion in recent if suggestion.text == text), None)


_MY_IDS = (select(Suggestion.id).join(Citizen, Suggestion.citizen_id == Citizen.id)
           .where(Citizen.openid == bindparam("openid")).order_by(Suggestion.created_at.desc(), Suggestion.id.desc()))


def my_ids(session, openid: str) -> list[int]:
    """The ids of the citizen's suggestions, newest first (built once, :func:`models.run`: the chat's list)."""
    return list(run(session, _MY_IDS, openid=openid).scalars())


def list_mine(session, openid: str) -> list[Suggestion]:
    """The citizen's suggestions, newest first."""
    return list(session.scalars(
        select(Suggestion).join(Citizen, Suggestion.citizen_id == Citizen.id)
        .where(Citizen.openid == openid).order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
    ))


def get_mine(session, openid: str, suggestion_id: int) -> Suggestion:
    """One of the citizen's suggestions; :class:`SuggestionNotFound` otherwise."""
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.citizen is None or suggestion.citizen.openid != openid:
        raise SuggestionNotFound(suggestion_id)
    return suggestion


def image(media_id: str, pic_url: str, now: dt.datetime) -> dict:
    """An attachment entry for a picture sent in WeChat (media ids expire after 3 days)."""
    return {"type": "image", "media_id": media_id, "url": pic_url, "received_at": now.isoformat()}


def attach_image(session, suggestion_id: int, media_id: str, now: dt.datetime, pic_url: str = "") -> Suggestion:
    """Attach a picture to a suggestion (idempotent by media id)."""
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    current = list(suggestion.attachments or [])
    if any(item.get("media_id") == media_id for item in current):
        return suggestion
    if len(current) >= MAX_ATTACHMENTS:
        raise TooManyAttachments(suggestion_id)
    suggestion.attachments = [*current, image(media_id, pic_url, now)]
    suggestion.updated_at = now
    return suggestion


def recent_open(session, openid: str, now: dt.datetime) -> Suggestion | None:
    """The citizen's suggestion made in the last :data:`ATTACH_WINDOW` and not yet answered."""
    return session.scalar(
        select(Suggestion).join(Citizen, Suggestion.citizen_id == Citizen.id)
        .where(Citizen.openid == openid, Suggestion.status == SuggestionStatus.RECEIVED,
               Suggestion.created_at >= now - ATTACH_WINDOW)
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc()).limit(1)
    )


def reply(session, suggestion_id: int, staff, adoption: Adoption | str, reply_text: str, reason: str,
          now: dt.datetime, publish: bool = True, ip: str = "") -> Suggestion:
    """Answer a suggestion; with ``publish`` the citizen gets the reply pushed (through the outbox).

    ``publish=False`` only saves ``reply_text`` as a draft. ``reason`` is required
    for 暂不采纳. Publishing the same answer twice queues one message; a corrected
    answer is pushed again. The change is written to the audit log.
    """
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    text, why = (reply_text or "").strip(), (reason or "").strip()
    if not text:
        raise InvalidReply("reply_text")
    if not publish:
        return _save_draft(session, suggestion, staff, adoption, text, why, now, ip)
    try:
        adoption = Adoption(adoption)
    except ValueError:
        raise InvalidReply("adoption") from None
    if adoption in REASON_REQUIRED and not why:
        raise InvalidReply("reason")
    before = {"status": suggestion.status, "adoption": suggestion.adoption, "reply": suggestion.reply}
    suggestion.status, suggestion.adoption, suggestion.adoption_reason = SuggestionStatus.REPLIED, adoption, why
    suggestion.reply, suggestion.reply_draft = text, ""
    suggestion.replied_by_id, suggestion.replied_at, suggestion.updated_at = getattr(staff, "id", None), now, now
    audit.record(session, now, "suggestion.reply", actor=staff, obj=suggestion, before=before,
                 after={"status": suggestion.status, "adoption": adoption, "reply": text, "reason": why}, ip=ip)
    _queue_reply(session, suggestion, now)
    return suggestion


def _save_draft(session, suggestion: Suggestion, staff, adoption: Adoption | str, text: str, why: str,
                now: dt.datetime, ip: str) -> Suggestion:
    """Keep the draft's text, adoption status and reason, so whoever publishes it sees what was chosen.

    A published answer keeps its adoption status and reason until the correction is
    published (the citizen was told those); an unknown or empty status is simply not saved.
    """
    suggestion.reply_draft = text
    suggestion.updated_at = now
    after: dict = {"reply_draft": text}
    if suggestion.status != SuggestionStatus.REPLIED:
        try:
            suggestion.adoption = Adoption(adoption)
        except ValueError:
            pass
        suggestion.adoption_reason = why
        after.update(adoption=suggestion.adoption, reason=why)
    audit.record(session, now, "suggestion.draft", actor=staff, obj=suggestion, after=after, ip=ip)
    return suggestion


class CannotAssign(ValueError):
    """Only general suggestions (not about an event) are assigned to a unit."""


def assign(session, suggestion_id: int, unit_id: int, staff, now: dt.datetime, ip: str = "") -> Suggestion:
    """Make ``unit_id`` responsible for a general suggestion (audited); event suggestions go to the host unit."""
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    if suggestion.event_id is not None:
        raise CannotAssign("event")
    if session.get(Unit, unit_id) is None:
        raise CannotAssign("unit")
    before = {"unit_id": suggestion.unit_id}
    suggestion.unit_id, suggestion.updated_at = unit_id, now
    audit.record(session, now, "suggestion.assign", actor=staff, obj=suggestion, before=before,
                 after={"unit_id": unit_id}, ip=ip)
    return suggestion


def _queue_reply(session, suggestion: Suggestion, now: dt.datetime) -> None:
    citizen = suggestion.citizen
    if citizen is None or not citizen.following:
        return
    adoption = wording.ADOPTION_LABELS[suggestion.adoption.value]
    reason_line = wording.SUGGESTION_REPLY_REASON.format(reason=suggestion.adoption_reason) if suggestion.adoption_reason else ""
    text = wording.SUGGESTION_REPLY.format(tracking_no=suggestion.tracking_no, adoption=adoption,
                                           reason_line=reason_line, reply=suggestion.reply)
    unit = suggestion.event.unit if suggestion.event else suggestion.unit
    data = {"number": suggestion.tracking_no, "status": adoption, "time": wording.when_short(now),
            "unit": unit.name if unit else wording.REPLY_UNIT_DEFAULT}
    payload = {"text": wording.fit_bytes(text, tail=wording.SUGGESTION_REPLY_TAIL), "template": "reply", "data": data}
    # The subject carries a digest of the answer: a double submit queues once, a correction again.
    digest = hashlib.sha256(f"{suggestion.adoption}|{suggestion.adoption_reason}|{suggestion.reply}".encode()).hexdigest()[:12]
    outbox.enqueue(session, citizen.openid, REPLY_PURPOSE, f"suggestion:{suggestion.id}:{digest}", payload, now)
