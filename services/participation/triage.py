"""Suggestion triage (分派): route each suggestion on arrival, propose a unit for a general one, link near-duplicates.

A suggestion about an event belongs to the event's host unit from the moment it
arrives. A general one is held by the district office (区政务服务和数据管理局, which
is what the citizen is told) until a coordinator routes it: the triage proposes the
unit whose routed suggestions and events read most like it (jieba words, TF-IDF
cosine, a vote of the three nearest texts per unit) and says why; one click
accepts the proposal or picks another unit, and the citizen is told where it went.

A suggestion that reads like another received within :data:`DUPLICATE_WINDOW`
(rapidfuzz token-set ratio ≥ :data:`DUPLICATE_THRESHOLD`) is linked to the first of
its group; the reply published on the first reaches every linked citizen
(:func:`reply_linked`). The work runs in the scheduler's ``triage_suggestions`` job
(and on demand in the console), never in the webhook: jieba's start-up stays off it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Event, EventStatus, Suggestion, SuggestionStatus, SuggestionTriage, Unit
from services.admin import audit
from services.messaging import outbox, wording
from services.participation import suggestions, triage_similarity, triage_texts

DUPLICATE_WINDOW = dt.timedelta(days=60)
DUPLICATE_THRESHOLD = 0.72  # tuned on bench/data/triage_labelled.tsv (docs/triage.md)
MIN_PROPOSAL_SCORE = 0.12
CORPUS_WINDOW = dt.timedelta(days=365)
ROUTED_PURPOSE = "suggestion_routed"
DISTRICT_OFFICE = triage_texts.DISTRICT_OFFICE


class TriageError(Exception):
    """Base of the errors an edge words for staff."""


class NothingToRoute(TriageError):
    """A suggestion about an event goes to its host unit; or no unit was chosen."""


def unit_id_of(suggestion: Suggestion) -> int | None:
    """The unit responsible: the event's host, else the unit a coordinator routed it to."""
    return suggestion.event.unit_id if suggestion.event else suggestion.unit_id


def handler_label(suggestion: Suggestion) -> str:
    """What staff see as 办理单位 — the same words the citizen was told (never a bare 未分派)."""
    unit = suggestion.event.unit if suggestion.event else suggestion.unit
    return unit.name if unit else triage_texts.AWAITING_ROUTING


def _documents(session, now: dt.datetime, exclude: set[int]) -> list[triage_similarity.Document]:
    """What a proposal compares with: routed suggestions of the last year, and each unit's events."""
    docs = []
    routed = session.execute(
        select(Suggestion.id, Suggestion.tracking_no, Suggestion.text, Unit.name)
        .outerjoin(Event, Suggestion.event_id == Event.id)
        .join(Unit, Unit.id == func.coalesce(Event.unit_id, Suggestion.unit_id))
        .where(Suggestion.created_at >= now - CORPUS_WINDOW, Suggestion.erased_at.is_(None)))
    for sid, tracking_no, text, unit in routed:
        if sid not in exclude:
            docs.append(triage_similarity.Document(f"s{sid}", unit, tracking_no,
                                                   tuple(triage_similarity.features(text))))
    events = session.execute(select(Event.id, Event.title, Event.summary, Unit.name).join(Unit, Unit.id == Event.unit_id)
                             .where(Event.status != EventStatus.DRAFT))
    for eid, title, summary, unit in events:
        docs.append(triage_similarity.Document(f"e{eid}", unit, f"“{title}”",
                                               tuple(triage_similarity.features(f"{unit} {title} {summary}"))))
    return docs


def _reason(match: triage_similarity.Match, score: float) -> str:
    shared = "、".join(match.shared) or "—"
    template = triage_texts.REASON_SUGGESTION if match.document.key.startswith("s") else triage_texts.REASON_EVENT
    return template.format(unit=match.document.unit, label=match.document.label, score=score, shared=shared)


def _propose(session, row: SuggestionTriage, suggestion: Suggestion, index: triage_similarity.Index) -> None:
    ranked = triage_similarity.unit_scores(index, triage_similarity.features(suggestion.text))
    if not ranked or ranked[0][1] < MIN_PROPOSAL_SCORE:
        row.proposed_unit_id, row.score, row.reason = None, 0.0, triage_texts.REASON_NONE
        return
    unit_name, score, match = ranked[0]
    row.proposed_unit_id = session.scalar(select(Unit.id).where(Unit.name == unit_name))
    row.score, row.reason = round(score, 3), _reason(match, match.score)


def _link_duplicate(session, row: SuggestionTriage, suggestion: Suggestion) -> None:
    """Link to the first suggestion of the most similar earlier one's group, within the window.

    Only like with like: about the same event, or both general (one reply must fit both).
    """
    mine = triage_similarity.words(suggestion.text)
    same_subject = (Suggestion.event_id == suggestion.event_id) if suggestion.event_id else Suggestion.event_id.is_(None)
    earlier = session.scalars(select(Suggestion).where(
        Suggestion.id != suggestion.id, Suggestion.erased_at.is_(None), same_subject,
        Suggestion.created_at >= suggestion.created_at - DUPLICATE_WINDOW,
        Suggestion.created_at <= suggestion.created_at).order_by(Suggestion.created_at, Suggestion.id)).all()
    best, best_score = None, 0.0
    for other in earlier:
        if (other.created_at, other.id) >= (suggestion.created_at, suggestion.id):
            continue
        score = triage_similarity.duplicate_score(mine, triage_similarity.words(other.text))
        if score > best_score:
            best, best_score = other, score
    if best is None or best_score < DUPLICATE_THRESHOLD:
        return
    root = session.get(SuggestionTriage, best.id)
    row.duplicate_of_id = root.duplicate_of_id if root is not None and root.duplicate_of_id else best.id
    row.duplicate_score = round(best_score, 3)
    first = session.get(Suggestion, row.duplicate_of_id)
    if suggestion.event_id is None and suggestion.unit_id is None and first.unit_id is not None:
        # A general one that restates a routed one goes where that one went.
        row.proposed_unit_id, row.score = first.unit_id, round(best_score, 3)
        row.reason = triage_texts.REASON_DUPLICATE.format(unit=first.unit.name, label=first.tracking_no,
                                                          score=best_score)


def triage(session, suggestion_id: int, now: dt.datetime, index: triage_similarity.Index | None = None
           ) -> SuggestionTriage:
    """Route (or propose a unit for) one suggestion and link it to its near-duplicates; idempotent."""
    row = session.get(SuggestionTriage, suggestion_id)
    if row is not None:
        return row
    suggestion = session.get(Suggestion, suggestion_id)
    row = SuggestionTriage(suggestion_id=suggestion.id, proposed_at=now, reason="", score=0.0, duplicate_score=0.0)
    if suggestion.event is not None:
        row.proposed_unit_id, row.routed_at = suggestion.event.unit_id, suggestion.created_at
        row.reason, row.score = triage_texts.REASON_EVENT_HOST.format(title=suggestion.event.title), 1.0
    elif suggestion.unit_id is not None:
        row.proposed_unit_id, row.routed_at, row.score = suggestion.unit_id, suggestion.created_at, 1.0
    else:
        _propose(session, row, suggestion, index or triage_similarity.Index(_documents(session, now, {suggestion.id})))
    _link_duplicate(session, row, suggestion)
    session.add(row)
    session.flush()
    return row


def run_pending(session, now: dt.datetime, limit: int = 200) -> int:
    """The scheduler's job: triage suggestions that arrived since the last pass (oldest first)."""
    waiting = session.scalars(select(Suggestion.id).outerjoin(SuggestionTriage,
                                                              SuggestionTriage.suggestion_id == Suggestion.id)
                              .where(SuggestionTriage.suggestion_id.is_(None), Suggestion.erased_at.is_(None))
                              .order_by(Suggestion.created_at, Suggestion.id).limit(limit)).all()
    # One index for the batch: the general suggestions waiting are not in it (only routed ones are).
    index = triage_similarity.Index(_documents(session, now, set())) if waiting else None
    for suggestion_id in waiting:
        triage(session, suggestion_id, now, index)
    return len(waiting)


def route(session, suggestion_id: int, unit_id: int | None, staff, now: dt.datetime, ip: str = "") -> Suggestion:
    """Accept the proposal (``unit_id`` None) or route to another unit; the citizen is told where it went."""
    run_pending(session, now)  # so the near-duplicates that arrived since the last pass follow too
    row = triage(session, suggestion_id, now)
    chosen = unit_id or row.proposed_unit_id
    if not chosen:
        raise NothingToRoute(suggestion_id)
    try:
        suggestion = suggestions.assign(session, suggestion_id, chosen, staff, now, ip=ip)
    except suggestions.CannotAssign:
        raise NothingToRoute(suggestion_id) from None
    accepted = chosen == row.proposed_unit_id
    row.routed_at, row.routed_by_id = now, getattr(staff, "id", None)
    audit.record(session, now, "suggestion.route", actor=staff, obj=suggestion,
                 after={"unit_id": chosen, "accepted_proposal": accepted}, ip=ip)
    _tell_routed(session, suggestion, now)
    for other in linked(session, suggestion_id):  # its near-duplicates go to the same unit
        if other.event_id is None and other.unit_id != chosen:
            route(session, other.id, chosen, staff, now, ip=ip)
    return suggestion


def _tell_routed(session, suggestion: Suggestion, now: dt.datetime) -> None:
    citizen = suggestion.citizen
    if citizen is None or not citizen.following or suggestion.erased_at is not None:
        return
    text = triage_texts.ROUTED_PUSH.format(tracking_no=suggestion.tracking_no, unit=suggestion.unit.name)
    data = {"number": suggestion.tracking_no, "status": wording.field(triage_texts.CARD_ROUTED),
            "time": wording.field(wording.when_short(now))}
    outbox.enqueue(session, citizen.openid, ROUTED_PURPOSE, f"suggestion:{suggestion.id}:{suggestion.unit_id}",
                   {"text": wording.fit_bytes(text), "template": "reply", "data": data}, now)


def linked(session, suggestion_id: int) -> list[Suggestion]:
    """The suggestions linked to this one as near-duplicates (it is the first of their group), oldest first."""
    return list(session.scalars(select(Suggestion).join(SuggestionTriage, SuggestionTriage.suggestion_id == Suggestion.id)
                                .where(SuggestionTriage.duplicate_of_id == suggestion_id)
                                .order_by(Suggestion.created_at, Suggestion.id)))


def unlink(session, suggestion_id: int, staff, now: dt.datetime, ip: str = "") -> None:
    """Not a duplicate after all: it is answered on its own (audited)."""
    row = session.get(SuggestionTriage, suggestion_id)
    if row is None or row.duplicate_of_id is None:
        return
    audit.record(session, now, "suggestion.unlink", actor=staff, obj=row.suggestion,
                 before={"duplicate_of_id": row.duplicate_of_id}, ip=ip)
    row.duplicate_of_id, row.duplicate_score = None, 0.0


def reply_linked(session, suggestion: Suggestion, staff, now: dt.datetime, ip: str = "") -> list[Suggestion]:
    """Give every linked, still unanswered suggestion the reply just published on ``suggestion`` (each pushed)."""
    answered = []
    for other in linked(session, suggestion.id):
        if other.status == SuggestionStatus.REPLIED or other.erased_at is not None:
            continue
        suggestions.reply(session, other.id, staff, suggestion.adoption, suggestion.reply, suggestion.adoption_reason,
                          now, ip=ip)
        answered.append(other)
    return answered
