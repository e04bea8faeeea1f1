"""Moderation before citizen text goes public (公开前审核).

Citizen text a public page may show — an adopted suggestion with its reply on
/suggestions/adopted, an answered lecture question with its answer on the
lecture's page — is first masked (:mod:`services.privacy.masking`) and queued
here as a :class:`ModerationItem`. Staff of the unit approve it (and may edit the
masked text first); text with a word of the hold list waits for a coordinator's
second look. Public pages read only approved items, and the citizen is told once
when theirs is published. A corrected reply or answer goes back to 待审核.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import (
    Adoption,
    Citizen,
    LectureQuestion,
    ModerationItem,
    ModerationKind,
    ModerationStatus,
    QuestionStatus,
    StaffRole,
    Suggestion,
    SuggestionStatus,
)
from services.admin import audit
from services.messaging import outbox, wording
from services.participation import moderation_texts
from services.privacy import masking

PUSH_PURPOSE = "moderation_published"
WAITING = (ModerationStatus.PENDING, ModerationStatus.HELD)
PUBLIC_ADOPTIONS = (Adoption.ADOPTED, Adoption.PARTLY)
MAX_CHARS = 1000


class ModerationError(Exception):
    """Base of the errors an edge words for staff."""


class ItemNotFound(ModerationError):
    """No such moderation item."""


class NeedsCoordinator(ModerationError):
    """Text held by the word list is approved by a coordinator only."""


class EmptyText(ModerationError):
    """The edited text is empty or longer than :data:`MAX_CHARS`."""


def _queue(session, kind: ModerationKind, object_id: int, event_id: int | None, text: str, answer: str,
           now: dt.datetime) -> ModerationItem:
    """Create or refresh the item; unchanged text keeps its decision, changed text waits again."""
    masked_text = masking.mask_text(text)
    masked_answer = masking.mask_with_names(answer, masked_text.names)
    kinds = list(dict.fromkeys(masked_text.kinds + masked_answer.kinds))
    flagged = masking.held_words(text) + [w for w in masking.held_words(answer) if w not in masking.held_words(text)]
    item = session.scalar(select(ModerationItem).where(ModerationItem.kind == kind,
                                                       ModerationItem.object_id == object_id))
    status = ModerationStatus.HELD if flagged else ModerationStatus.PENDING
    if item is None:
        item = ModerationItem(kind=kind, object_id=object_id, event_id=event_id, created_at=now)
        session.add(item)
    elif item.answer == masked_answer.text and item.status in (ModerationStatus.APPROVED, ModerationStatus.REJECTED):
        return item
    item.text, item.answer, item.masked, item.flagged = masked_text.text, masked_answer.text, kinds, flagged
    item.status, item.decided_at, item.decided_by_id = status, None, None
    session.flush()
    return item


def submit_suggestion(session, suggestion: Suggestion, now: dt.datetime) -> ModerationItem | None:
    """Queue an adopted (or partly adopted) suggestion and its reply for the public list; else nothing."""
    if (suggestion.status != SuggestionStatus.REPLIED or suggestion.adoption not in PUBLIC_ADOPTIONS
            or suggestion.erased_at is not None):
        return None
    return _queue(session, ModerationKind.SUGGESTION, suggestion.id, suggestion.event_id, suggestion.text,
                  suggestion.reply, now)


def submit_question(session, question: LectureQuestion, now: dt.datetime) -> ModerationItem | None:
    """Queue an answered question (and its written answer, if any) for the lecture's page."""
    if question.status == QuestionStatus.OPEN or question.erased_at is not None:
        return None
    answer = question.reply or moderation_texts.LIVE_ANSWER_PUBLIC
    return _queue(session, ModerationKind.QUESTION, question.id, question.event_id, question.text or "", answer, now)


def waiting(session, unit_id: int | None = None) -> list[ModerationItem]:
    """Items awaiting a decision, oldest first; a unit sees its own (by the suggestion's or question's unit)."""
    items = list(session.scalars(select(ModerationItem).where(ModerationItem.status.in_(WAITING))
                                 .order_by(ModerationItem.created_at, ModerationItem.id)))
    if unit_id is None:
        return items
    return [item for item in items if unit_of(session, item) == unit_id]


def unit_of(session, item: ModerationItem) -> int | None:
    """The unit responsible for the item's text."""
    source = source_of(session, item)
    if source is None:
        return None
    if isinstance(source, LectureQuestion):
        return source.event.unit_id
    return source.event.unit_id if source.event else source.unit_id


def source_of(session, item: ModerationItem) -> Suggestion | LectureQuestion | None:
    """The suggestion or question the item publishes."""
    model = Suggestion if item.kind == ModerationKind.SUGGESTION else LectureQuestion
    return session.get(model, item.object_id)


def get(session, item_id: int) -> ModerationItem:
    """One item or :class:`ItemNotFound`."""
    item = session.get(ModerationItem, item_id)
    if item is None:
        raise ItemNotFound(item_id)
    return item


def approve(session, item_id: int, staff, now: dt.datetime, text: str | None = None, answer: str | None = None,
            ip: str = "") -> ModerationItem:
    """Publish the item (the edited text masked again); held text needs a coordinator. The citizen is told once."""
    item = get(session, item_id)
    if item.status == ModerationStatus.HELD and getattr(staff, "role", None) != StaffRole.COORDINATOR:
        raise NeedsCoordinator(item_id)
    for value in (text, answer):
        if value is not None and not (0 < len(value.strip()) <= MAX_CHARS):
            raise EmptyText(item_id)
    if text is not None:
        item.text = masking.mask_text(text.strip()).text
    if answer is not None:
        item.answer = masking.mask_text(answer.strip()).text
    item.status, item.decided_at, item.decided_by_id = ModerationStatus.APPROVED, now, getattr(staff, "id", None)
    audit.record(session, now, "moderation.approve", actor=staff, obj=item,
                 after={"kind": item.kind, "object_id": item.object_id}, ip=ip)
    _tell_citizen(session, item, now)
    return item


def reject(session, item_id: int, staff, now: dt.datetime, note: str = "", ip: str = "") -> ModerationItem:
    """Keep the item off the public page (audited); the citizen's own pages are unchanged."""
    item = get(session, item_id)
    item.status, item.decided_at, item.decided_by_id = ModerationStatus.REJECTED, now, getattr(staff, "id", None)
    item.note = (note or "").strip()[:200]
    audit.record(session, now, "moderation.reject", actor=staff, obj=item, after={"note": item.note}, ip=ip)
    return item


def _tell_citizen(session, item: ModerationItem, now: dt.datetime) -> None:
    source = source_of(session, item)
    citizen = session.get(Citizen, source.citizen_id) if source is not None and source.citizen_id else None
    if citizen is None or not citizen.following or source.erased_at is not None:
        return
    if isinstance(source, Suggestion):
        text = moderation_texts.PUBLISHED_SUGGESTION.format(tracking_no=source.tracking_no)
        data = {"number": source.tracking_no, "status": wording.field(moderation_texts.CARD_PUBLISHED),
                "time": wording.field(wording.when_short(now))}
    else:
        text = moderation_texts.PUBLISHED_QUESTION.format(title=source.event.title)
        data = {"title": wording.field(source.event.title), "status": wording.field(moderation_texts.CARD_PUBLISHED),
                "time": wording.field(wording.when_short(now))}
    payload = {"text": wording.fit_bytes(text), "template": "reply", "data": data}
    outbox.enqueue(session, citizen.openid, PUSH_PURPOSE, f"{item.kind.value}:{item.object_id}", payload, now)


def approved_suggestions(session, suggestion_ids: list[int]) -> dict[int, ModerationItem]:
    """The approved items of these suggestions, by suggestion id (for /suggestions/adopted)."""
    if not suggestion_ids:
        return {}
    return {item.object_id: item for item in session.scalars(select(ModerationItem).where(
        ModerationItem.kind == ModerationKind.SUGGESTION, ModerationItem.object_id.in_(suggestion_ids),
        ModerationItem.status == ModerationStatus.APPROVED))}


def public_questions(session, event_id: int) -> list[tuple[LectureQuestion, ModerationItem]]:
    """A lecture's answered questions with approved text, still shown by staff and not erased, in answer order."""
    rows = session.execute(
        select(LectureQuestion, ModerationItem)
        .join(ModerationItem, (ModerationItem.kind == ModerationKind.QUESTION)
              & (ModerationItem.object_id == LectureQuestion.id))
        .where(LectureQuestion.event_id == event_id, LectureQuestion.status != QuestionStatus.OPEN,
               LectureQuestion.published.is_(True), LectureQuestion.erased_at.is_(None),
               ModerationItem.status == ModerationStatus.APPROVED)
        .order_by(LectureQuestion.answered_at, LectureQuestion.id))
    return [(question, item) for question, item in rows]
