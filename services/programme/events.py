"""Events as citizens see them: what is coming up, by topic, lectures, one event, the application window.

Also :func:`publish_notice`, which the console calls when staff publish an
event: every citizen following the event's topic gets a notice through the outbox.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select

from models import Citizen, Event, EventKind, EventStatus, Topic, citizen_topics
from services.calendar import clock, workdays
from services.messaging import outbox, wording
from services.programme import links

VISIBLE = (EventStatus.PUBLISHED, EventStatus.CLOSED, EventStatus.CANCELLED)
# Events longer than this are not expected; it bounds the "still running" query.
LONGEST_EVENT = dt.timedelta(days=1)
TOPIC_NOTICE = "topic_notice"


class EventNotFound(LookupError):
    """No such event, or it is not public (a draft)."""

    def __init__(self, event_id: int) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} not found")


class WindowState(enum.StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"  # opens later
    CLOSED = "closed"  # the deadline has passed
    SELECTION_DONE = "selection_done"  # the draw is confirmed: applications closed then, whatever the deadline
    STARTED = "started"  # the event has begun or is over
    NO_APPLICATIONS = "no_applications"  # online only: nobody needs to apply
    CANCELLED = "cancelled"
    NOT_PUBLISHED = "not_published"


@dataclass(frozen=True)
class Window:
    """Whether an event takes applications now, and the moments that decide it."""

    state: WindowState
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None

    @property
    def is_open(self) -> bool:
        return self.state is WindowState.OPEN


def application_window(event: Event, now: dt.datetime, *, as_published: bool = False) -> Window:
    """The application window of ``event`` at ``now`` (``as_published``: a draft as it will be once published)."""
    closes = event.apply_closes_at or event.starts_at
    window = lambda state: Window(state, event.apply_opens_at, closes)  # noqa: E731
    if event.status == EventStatus.CANCELLED:
        return window(WindowState.CANCELLED)
    if event.status == EventStatus.CLOSED or now >= event.starts_at:
        return window(WindowState.STARTED)
    if event.status != EventStatus.PUBLISHED and not (as_published and event.status == EventStatus.DRAFT):
        return window(WindowState.NOT_PUBLISHED)
    if not event.takes_applications:
        return window(WindowState.NO_APPLICATIONS)
    if event.selection_notified_at is not None:
        # Confirming the draw closes applications: a later applicant could never be drawn.
        return Window(WindowState.SELECTION_DONE, event.apply_opens_at, min(closes, event.selection_notified_at))
    if event.apply_opens_at is not None and now < event.apply_opens_at:
        return window(WindowState.NOT_YET)
    if now >= closes:
        return window(WindowState.CLOSED)
    return window(WindowState.OPEN)


def upcoming(session, now: dt.datetime, *, topic_id: int | None = None,
             kind: EventKind | None = None) -> list[Event]:
    """Published events not yet over, soonest first (optionally one topic or one kind)."""
    query = select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > now - LONGEST_EVENT)
    if topic_id is not None:
        query = query.where(Event.topic_id == topic_id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    events = session.scalars(query.order_by(Event.starts_at, Event.id)).all()
    return [event for event in events if event.ends_at > now]


def topics_with_upcoming(session, now: dt.datetime) -> list[tuple[Topic, int]]:
    """Every topic with the number of its upcoming events, in the programme's order."""
    counts: dict[int, int] = {}
    for event in upcoming(session, now):
        if event.topic_id is not None:
            counts[event.topic_id] = counts.get(event.topic_id, 0) + 1
    topics = session.scalars(select(Topic).order_by(Topic.sort_order, Topic.id)).all()
    return [(topic, counts.get(topic.id, 0)) for topic in topics]


def open_for_applications(coming: list, now: dt.datetime) -> list:
    """Of the upcoming events ``coming`` (:func:`upcoming`, or the chat's snapshot), those open for applications."""
    return [event for event in coming if application_window(event, now).is_open]


def next_opening(coming: list, now: dt.datetime):
    """Of the upcoming events ``coming``, the one whose applications open soonest (when none is open now)."""
    later = [e for e in coming if application_window(e, now).state is WindowState.NOT_YET]
    return min(later, key=lambda e: e.apply_opens_at) if later else None


def recent_and_upcoming(programme, now: dt.datetime, days_back: int = 30, limit: int = 12) -> list:
    """Events a suggestion may be about: those of the last ``days_back`` days and the coming ones.

    ``programme`` is any collection of events (the chat passes its snapshot, ``event_cache``).
    """
    since = now - dt.timedelta(days=days_back)
    found = [e for e in programme if e.status in (EventStatus.PUBLISHED, EventStatus.CLOSED) and e.starts_at >= since]
    # Nearest to today first: the ones people are most likely to comment on.
    found = sorted(found, key=lambda e: (abs((e.starts_at - now).total_seconds()), e.starts_at, e.id))[:limit]
    return sorted(found, key=lambda e: (e.starts_at, e.id))


def get(session, event_id: int) -> Event:
    """A public event (published, closed or cancelled); :class:`EventNotFound` otherwise."""
    event = session.get(Event, event_id)
    if event is None or event.status not in VISIBLE:
        raise EventNotFound(event_id)
    return event


def in_month(session, year: int, month: int) -> list[Event]:
    """Published (and closed or cancelled) events starting in a month of Beijing time."""
    first = dt.datetime(year, month, 1, tzinfo=clock.SHANGHAI)
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=clock.SHANGHAI)
    query = select(Event).where(Event.status.in_(VISIBLE), Event.starts_at >= clock.to_utc(first),
                                Event.starts_at < clock.to_utc(following))
    return list(session.scalars(query.order_by(Event.starts_at, Event.id)))


def notice_deadline(event: Event) -> dt.date:
    """The last day the selected must hear from us: one working day before the event."""
    event_day = clock.local(event.starts_at).date()
    return workdays.shift_working_days(event_day, -1, strict=False)


def publish_notice(session, event: Event, now: dt.datetime, base_url: str | None = None) -> int:
    """Queue a notice of a newly published ``event`` to every follower of its topic; how many.

    Idempotent: one notice per (citizen, event). Citizens who unfollowed the
    account are skipped. Call it in the same transaction that publishes the event.
    """
    if event.status != EventStatus.PUBLISHED or event.topic_id is None or event.ends_at <= now:
        return 0
    followers = session.scalars(
        select(Citizen).join(citizen_topics, citizen_topics.c.citizen_id == Citizen.id)
        .where(citizen_topics.c.topic_id == event.topic_id, Citizen.following.is_(True))
    ).all()
    payload = _notice_payload(event, now, links.page_url(event.id, base_url))
    for citizen in followers:
        outbox.enqueue(session, citizen.openid, TOPIC_NOTICE, f"event:{event.id}", payload, now)
    return len(followers)


def _notice_payload(event: Event, now: dt.datetime, url: str) -> dict:
    window = application_window(event, now)
    if event.takes_applications and window.state in (WindowState.OPEN, WindowState.NOT_YET):
        apply_line = wording.TOPIC_NOTICE_APPLY.format(deadline=wording.when(window.closes_at))
    else:
        apply_line = wording.TOPIC_NOTICE_NO_APPLY if not event.takes_applications else ""
    topic = event.topic.name if event.topic else ""
    text = wording.TOPIC_NOTICE.format(
        topic=topic, title=event.title, when=wording.when(event.starts_at),
        mode=wording.MODE_LABELS[event.mode.value], place=event.place or "见详情", apply_line=apply_line, url=url,
    )
    data = {
        "topic": wording.field(topic), "title": wording.field(event.title),
        "time": wording.field(wording.when_short(event.starts_at)), "place": wording.field(event.place or "线上"),
    }
    return {"text": wording.fit_bytes(text), "template": "notice", "data": data, "url": url}
