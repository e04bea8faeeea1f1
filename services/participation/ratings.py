"""Satisfaction ratings after an event (好差评), as the national government-service rating system does.

Five levels, 1 非常满意 … 5 非常不满意, each with tags from ``config/rating_tags.toml``
and an optional comment. Whoever checked in at the door may rate; for an event
with a livestream, so may its verified viewers (:func:`verified_viewer`: an
application to the event in any status, or the livestream opened through the
signed-in ``/my/live/<id>``), as online participants. Nobody else: a stranger's
差评 would open a follow-up the unit cannot answer. Rating opens when the
event ends and stays open for :data:`WINDOW`; within it one rating per person and
event is kept and may be changed. A 差评 (4 或 5) opens a follow-up for the event's
unit (:mod:`services.participation.rating_followups`); once the unit answered it, the
citizen may rate once more (追评).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, exists, select, union
from sqlalchemy.exc import IntegrityError

from config.rating_tags import tags_by_level
from models import (
    Application,
    ApplicationStatus,
    Citizen,
    Event,
    EventStatus,
    LivestreamView,
    Rating,
    RatingFollowUp,
    run,
)
from services import intake
from services.participation import citizens, rating_followups
from services.participation.rating_texts import LEVELS

WINDOW = dt.timedelta(days=7)
AGAIN_WINDOW = dt.timedelta(days=15)
SATISFIED = frozenset({1, 2, 3})
BAD = frozenset({4, 5})
COMMENT_CHARS = 300
RATED_STATUSES = (EventStatus.PUBLISHED, EventStatus.CLOSED)


class RatingError(Exception):
    """Base of the rating errors; each edge words them."""


class EventNotRatable(RatingError):
    """No such event, cancelled, or not over yet."""


class NotAttended(RatingError):
    """The person neither checked in nor is a verified viewer of the event's livestream."""


class RatingClosed(RatingError):
    """The rating window of the event has passed."""


class InvalidLevel(RatingError):
    """Not 1–5."""


class InvalidTags(RatingError):
    """Tags not offered for the chosen level: ``stray`` names them, ``level`` is the level chosen."""

    def __init__(self, stray: list[str], level: int) -> None:
        super().__init__(stray, level)
        self.stray, self.level = stray, level


class CommentTooLong(RatingError):
    """Longer than :data:`COMMENT_CHARS`."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


class AgainNotOpen(RatingError):
    """No answered follow-up to rate again, or rated again already, or too late."""


def tags_for(level: int) -> tuple[str, ...]:
    """The tags offered for ``level``."""
    return tags_by_level().get(level, ())


def check_level(level) -> int:
    """``level`` as 1–5, else :class:`InvalidLevel`."""
    try:
        value = int(str(level).strip())
    except (TypeError, ValueError):
        raise InvalidLevel(level) from None
    if value not in LEVELS:
        raise InvalidLevel(level)
    return value


def _check_tags(level: int, tags) -> list[str]:
    offered = tags_for(level)
    chosen = list(dict.fromkeys(t for t in (tags or []) if t))
    stray = [tag for tag in chosen if tag not in offered]
    if stray:
        raise InvalidTags(stray, level)
    return chosen


def _check_comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) > COMMENT_CHARS:
        raise CommentTooLong(len(text))
    return text


def closes_at(event: Event) -> dt.datetime:
    """When the event's rating window closes."""
    return event.ends_at + WINDOW


def ratable_event(session, event_id: int, now: dt.datetime) -> Event:
    """The event, if it is over and its window open; :class:`EventNotRatable` / :class:`RatingClosed`."""
    event = session.get(Event, event_id)
    if event is None or event.status not in RATED_STATUSES or now < event.ends_at:
        raise EventNotRatable(event_id)
    if now >= closes_at(event):
        raise RatingClosed(event_id)
    return event


def attended_on_site(session, citizen_id: int | None, event_id: int) -> bool:
    """Whether the citizen checked in at the event."""
    if citizen_id is None:
        return False
    return session.scalar(select(Application.id).where(
        Application.event_id == event_id, Application.citizen_id == citizen_id,
        Application.status == ApplicationStatus.CHECKED_IN)) is not None


def _citizen(session, openid: str) -> Citizen | None:
    return session.scalar(select(Citizen).where(Citizen.openid == openid))


def verified_viewer(session, citizen_id: int | None, event_id: int) -> bool:
    """Whether the citizen applied for the event (any status) or opened its livestream signed in."""
    if citizen_id is None:
        return False
    applied = exists().where(Application.event_id == event_id, Application.citizen_id == citizen_id)
    viewed = exists().where(LivestreamView.event_id == event_id, LivestreamView.citizen_id == citizen_id)
    return bool(session.scalar(select(applied | viewed)))


def participation(session, openid: str, event: Event) -> bool:
    """False: checked in on site; True: a verified online viewer; :class:`NotAttended` otherwise."""
    citizen = _citizen(session, openid)
    citizen_id = citizen.id if citizen else None
    if attended_on_site(session, citizen_id, event.id):
        return False
    if event.is_livestreamed and verified_viewer(session, citizen_id, event.id):
        return True
    raise NotAttended(event.id)


def open_livestream(session, openid: str, event_id: int, now: dt.datetime) -> Event:
    """Record that the signed-in citizen opened the event's livestream (once); the event.

    :class:`EventNotRatable` when the event has no livestream link to open.
    """
    event = session.get(Event, event_id)
    if event is None or not event.is_livestreamed or not event.livestream_url \
            or event.status not in RATED_STATUSES:
        raise EventNotRatable(event_id)
    citizen = citizens.get_or_create(session, openid, now)
    seen = select(LivestreamView.id).where(LivestreamView.event_id == event_id,
                                           LivestreamView.citizen_id == citizen.id)
    if session.scalar(seen) is None:
        try:
            with session.begin_nested():
                session.add(LivestreamView(event_id=event_id, citizen_id=citizen.id, opened_at=now))
        except IntegrityError:
            pass  # the same citizen's other tap got there first
    return event


def mine(session, openid: str, event_id: int) -> Rating | None:
    """The citizen's rating of the event, if any."""
    return session.scalar(select(Rating).join(Citizen, Rating.citizen_id == Citizen.id).where(
        Citizen.openid == openid, Rating.event_id == event_id))


# Built once (models.run): the chat's 评价 reads them for every click.
_CHECKED_IN_AT = (select(Application.event_id).join(Citizen, Application.citizen_id == Citizen.id)
                  .where(Citizen.openid == bindparam("openid"), Application.status == ApplicationStatus.CHECKED_IN,
                         Application.event_id.in_(bindparam("event_ids", expanding=True))))
# Livestreamed events the citizen is a verified viewer of (applied, or opened the livestream signed in).
_VIEWER_OF = union(
    select(Application.event_id).join(Citizen, Application.citizen_id == Citizen.id)
    .where(Citizen.openid == bindparam("openid"), Application.event_id.in_(bindparam("event_ids", expanding=True))),
    select(LivestreamView.event_id).join(Citizen, LivestreamView.citizen_id == Citizen.id)
    .where(Citizen.openid == bindparam("openid"), LivestreamView.event_id.in_(bindparam("event_ids", expanding=True))),
)
_AGAIN_OPEN = (select(Rating.id).join(Citizen, Rating.citizen_id == Citizen.id)
               .join(RatingFollowUp, RatingFollowUp.rating_id == Rating.id)
               .where(Citizen.openid == bindparam("openid"), Rating.again_at.is_(None),
                      RatingFollowUp.replied_at.is_not(None), RatingFollowUp.replied_at > bindparam("since"))
               .order_by(RatingFollowUp.replied_at.desc()))


def ratable_events(session, openid: str, now: dt.datetime, programme: Iterable[Event] | None = None) -> list[Event]:
    """Events the citizen may rate now: over, window open, checked in or a verified viewer; latest first.

    ``programme`` is where to look (the chat passes its snapshot, :mod:`services.programme.event_cache`,
    whose events read as :class:`Event`); by default the events that may still be in their window.
    """
    if programme is None:
        programme = session.scalars(select(Event).where(
            Event.starts_at <= now, Event.starts_at > now - WINDOW - dt.timedelta(days=2))).all()
    over = [event for event in programme if event.status in RATED_STATUSES and event.ends_at <= now < closes_at(event)]
    if not over:
        return []
    attended = set(run(session, _CHECKED_IN_AT, openid=openid, event_ids=[event.id for event in over]).scalars())
    streamed = [event.id for event in over if event.is_livestreamed and event.id not in attended]
    viewed = set(run(session, _VIEWER_OF, openid=openid, event_ids=streamed).scalars()) if streamed else set()
    found = [event for event in over if event.id in attended or event.id in viewed]
    return sorted(found, key=lambda event: (event.starts_at, event.id), reverse=True)


def rate(session, openid: str, event_id: int, level, tags, comment: str | None, now: dt.datetime,
         source: str = "chat") -> tuple[Rating, bool]:
    """Record or change the citizen's rating; (rating, created). A 差评 opens a follow-up.

    Everything is checked before anything is written, so a bad value changes nothing; a comment past
    the citizen's hourly allowance is :class:`services.intake.TooManyPosts`.
    """
    event = ratable_event(session, event_id, now)
    online = participation(session, openid, event)
    value = check_level(level)
    chosen, text = _check_tags(value, tags), _check_comment(comment)
    rating = mine(session, openid, event_id)
    if text and (rating is None or text != rating.comment):  # a new or changed comment counts, a kept one not
        intake.check_post(openid, intake.RATING_COMMENT, now)
    citizen = citizens.get_or_create(session, openid, now)
    created = rating is None
    if created:
        rating = Rating(event_id=event_id, citizen_id=citizen.id, created_at=now, level=value, tags=chosen,
                        comment=text, online=online, source=source, changes=0)
        session.add(rating)
    else:
        rating.level, rating.tags, rating.comment, rating.source = value, chosen, text, source
        rating.changes, rating.updated_at = (rating.changes or 0) + 1, now
    session.flush()
    if value in BAD:
        rating_followups.open_for(session, rating, now)
    return rating, created


def again_open(session, openid: str, now: dt.datetime) -> list[Rating]:
    """The citizen's 差评 whose follow-up was answered and that may be rated once more."""
    # Ids first: the chat asks at every 评价, and mostly there is none.
    ids = run(session, _AGAIN_OPEN, openid=openid, since=now - AGAIN_WINDOW).scalars().all()
    return [session.get(Rating, rating_id) for rating_id in ids]


def rate_again(session, openid: str, rating_id: int, level, comment: str | None, now: dt.datetime) -> Rating:
    """The 追评 after the unit's answer: once, within :data:`AGAIN_WINDOW` of the answer."""
    rating = next((r for r in again_open(session, openid, now) if r.id == rating_id), None)
    if rating is None:
        raise AgainNotOpen(rating_id)
    value, text = check_level(level), _check_comment(comment)
    if text:
        intake.check_post(openid, intake.RATING_COMMENT, now)
    rating.again_level, rating.again_comment, rating.again_at, rating.updated_at = value, text, now, now
    return rating
