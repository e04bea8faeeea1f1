"""A per-process snapshot of the programme (events, topics, units) for the chat's read paths.

Events change only when staff (console), the scheduler or ``flask demo load``
write them, yet every ``活动`` or menu click used to query and load them. Here
each process keeps one :class:`Catalog` (plain data, no ORM objects) and
reuses it while the programme's *version* in Redis is unchanged:

- a SQLAlchemy session listener notes any Event, Topic or Unit inserted,
  updated or deleted (ORM flush or ORM bulk statement), and after the commit
  sets the version key to a fresh random token (a token, not a counter, so an
  emptied Redis can never bring back an old version) and drops this process's
  snapshot, so every writer invalidates without knowing about this module;
- the webhook reads the version in the pipeline it already sends before
  handling a message, so checking it costs no extra round trip;
- a snapshot is also rebuilt after :data:`MAX_AGE_SECONDS`, which bounds how
  stale it can be if a bump was lost (Redis down at commit, a raw SQL edit);
- with Redis unreachable every call builds a fresh snapshot from the database.

Time-dependent facts (upcoming or not, application window open or closed) are
never cached: they are computed from the cached datetimes at each call.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Event, EventKind, EventMode, EventStatus, Topic, Unit

VERSION_KEY = "events:version"
MAX_AGE_SECONDS = 60.0
# Events longer than this are not expected (the same bound as services.programme.events.LONGEST_EVENT).
LONGEST_EVENT = dt.timedelta(days=1)
WATCHED = (Event, Topic, Unit)
_DIRTY = "event_cache_dirty"


class _Unknown:
    """The version was not read yet: :func:`current` reads it from Redis itself."""


class _Down:
    """Redis could not be reached: use the database directly."""


UNKNOWN = _Unknown()
DOWN = _Down()


@dataclass(frozen=True)
class CachedUnit:
    """What the chat shows of a unit."""

    id: int
    name: str


@dataclass(frozen=True)
class CachedTopic:
    """What the chat shows of a topic."""

    id: int
    name: str
    sort_order: int


@dataclass(frozen=True)
class CachedEvent:
    """An event as plain data, with the attribute names of :class:`models.Event` (duck-typed where it is read)."""

    id: int
    kind: EventKind
    mode: EventMode
    status: EventStatus
    title: str
    summary: str
    place: str
    starts_at: dt.datetime
    duration_minutes: int
    agenda: str
    online_participation: str
    livestream_url: str
    co_hosts: str
    topic_id: int | None
    seats: int
    apply_opens_at: dt.datetime | None
    apply_closes_at: dt.datetime | None
    selection_planned_on: dt.date | None
    selection_notified_at: dt.datetime | None  # set when the draw is confirmed: applications close
    cancel_reason: str
    takes_applications: bool
    unit: CachedUnit
    ends_at: dt.datetime
    topic: CachedTopic | None

    @property
    def is_livestreamed(self) -> bool:
        """Online or hybrid."""
        return self.mode in (EventMode.ONLINE, EventMode.HYBRID)


@dataclass
class Catalog:
    """One consistent snapshot of the programme; ``memo`` holds what callers derive from it."""

    version: bytes | None
    events: dict[int, CachedEvent]
    topics: tuple[CachedTopic, ...]
    built_at: float = 0.0
    memo: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.topic_by_id = {topic.id: topic for topic in self.topics}
        published = [e for e in self.events.values() if e.status == EventStatus.PUBLISHED]
        self._published = sorted(published, key=lambda e: (e.starts_at, e.id))

    def upcoming(self, now: dt.datetime, *, topic_id: int | None = None,
                 kind: EventKind | None = None) -> list[CachedEvent]:
        """Published events not yet over, soonest first: the same rows as ``services.programme.events.upcoming``."""
        since = now - LONGEST_EVENT
        return [e for e in self._published
                if e.starts_at > since and e.ends_at > now
                and (topic_id is None or e.topic_id == topic_id) and (kind is None or e.kind == kind)]

    def topics_with_upcoming(self, now: dt.datetime) -> list[tuple[CachedTopic, int]]:
        """Every topic with the number of its upcoming events, in the programme's order."""
        counts: dict[int, int] = {}
        for event in self.upcoming(now):
            if event.topic_id is not None:
                counts[event.topic_id] = counts.get(event.topic_id, 0) + 1
        return [(topic, counts.get(topic.id, 0)) for topic in self.topics]


# -- the snapshot ------------------------------------------------------------------------------

_client: redis.Redis | None = None
_local: Catalog | None = None
_generation = 0  # bumped by every local commit that changed the programme
_lock = threading.Lock()


def configure(client: redis.Redis | None) -> None:
    """Use ``client`` for the version key (the app factory's Redis; ``None``: local invalidation only)."""
    global _client
    _client = client


def current(session, version: bytes | None | _Unknown | _Down = UNKNOWN) -> Catalog:
    """The programme snapshot for ``version`` (as read from Redis by the caller, or read here)."""
    global _local
    if version is UNKNOWN:
        version = read_version()
    if version is DOWN:
        return build(session, None)
    if version is None:
        version = _initial_version()
        if version is DOWN:
            return build(session, None)
    local = _local
    if local is not None and local.version == version and time.monotonic() - local.built_at < MAX_AGE_SECONDS:
        return local
    generation = _generation
    catalog = build(session, version)
    with _lock:
        if generation == _generation:  # no local commit changed the programme meanwhile
            _local = catalog
    return catalog


def read_version() -> bytes | None | _Down:
    """The version token in Redis (``None`` when not set yet, :data:`DOWN` when unreachable)."""
    if _client is None:
        return DOWN
    try:
        return _client.get(VERSION_KEY)
    except redis.RedisError:
        return DOWN


def _initial_version() -> bytes | _Down:
    token = uuid.uuid4().hex.encode()
    try:
        if _client is None:
            return DOWN
        if _client.set(VERSION_KEY, token, nx=True):
            return token
        return _client.get(VERSION_KEY) or DOWN
    except redis.RedisError:
        return DOWN


def build(session, version: bytes | None) -> Catalog:
    """A fresh snapshot from the database."""
    topics = tuple(CachedTopic(t.id, t.name, t.sort_order)
                   for t in session.scalars(select(Topic).order_by(Topic.sort_order, Topic.id)))
    topic_by_id = {topic.id: topic for topic in topics}
    rows = session.scalars(select(Event).options(selectinload(Event.unit))).all()
    units: dict[int, CachedUnit] = {}
    events = {}
    for row in rows:
        unit = units.get(row.unit_id)
        if unit is None:
            unit = units[row.unit_id] = CachedUnit(row.unit.id, row.unit.name)
        events[row.id] = _cached(row, unit, topic_by_id.get(row.topic_id))
    return Catalog(version=version, events=events, topics=topics, built_at=time.monotonic())


def _cached(row: Event, unit: CachedUnit, topic: CachedTopic | None) -> CachedEvent:
    return CachedEvent(
        id=row.id, kind=row.kind, mode=row.mode, status=row.status, title=row.title, summary=row.summary,
        place=row.place, starts_at=row.starts_at, duration_minutes=row.duration_minutes, agenda=row.agenda,
        online_participation=row.online_participation, livestream_url=row.livestream_url,
        co_hosts=row.co_hosts, topic_id=row.topic_id, seats=row.seats, apply_opens_at=row.apply_opens_at,
        apply_closes_at=row.apply_closes_at, selection_planned_on=row.selection_planned_on,
        selection_notified_at=row.selection_notified_at,
        cancel_reason=row.cancel_reason, takes_applications=row.takes_applications, unit=unit,
        ends_at=row.ends_at, topic=topic,
    )


def invalidate() -> None:
    """The programme changed: drop this process's snapshot and give every process a new version."""
    global _local, _generation
    with _lock:
        _generation += 1
        _local = None
    if _client is None:
        return
    try:
        _client.set(VERSION_KEY, uuid.uuid4().hex.encode())
    except redis.RedisError:
        pass  # the other processes catch up within MAX_AGE_SECONDS


# -- invalidation: every writer, through the session ---------------------------------------------

def _watched(objects) -> bool:
    return any(isinstance(obj, WATCHED) for obj in objects)


@sa_event.listens_for(Session, "after_flush")
def _note_flush(session, _flush_context) -> None:
    # An event whose only change is a collection (an application added to it) is not a change here.
    if _watched(session.new) or _watched(session.deleted) or any(
            isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False) for obj in session.dirty):
        session.info[_DIRTY] = True


@sa_event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and any(
            mapper.class_ in WATCHED for mapper in state.all_mappers):
        state.session.info[_DIRTY] = True


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop(_DIRTY, False):
        invalidate()


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its changes are gone
        session.info.pop(_DIRTY, None)
