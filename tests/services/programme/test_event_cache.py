"""services.programme.event_cache: the chat's programme snapshot, its invalidation and its Redis-down fallback."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import demo
from models import Event, EventStatus, db
from services.calendar import clock
from services.programme import event_cache, events

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        db.session.commit()
        yield db.session


def _ids(found) -> list[int]:
    return [event.id for event in found]


def test_snapshot_matches_the_database_and_is_reused(session, redis_client):
    first = event_cache.current(session)
    assert _ids(first.upcoming(NOW)) == _ids(events.upcoming(session, NOW))
    assert [(t.id, n) for t, n in first.topics_with_upcoming(NOW)] == [
        (t.id, n) for t, n in events.topics_with_upcoming(session, NOW)]
    assert redis_client.get(event_cache.VERSION_KEY) == first.version
    # Same version: the very same snapshot, no database work.
    assert event_cache.current(session) is first
    assert event_cache.current(session, first.version) is first


def test_an_event_change_through_a_plain_session_commit_invalidates(app, session, redis_client):
    before = event_cache.current(session)
    event = before.upcoming(NOW)[0]
    with app.app_context(), Session(db.engine) as plain:
        plain.execute(select(Event).where(Event.id == event.id)).scalar_one().title = "改过的标题"
        plain.commit()
    assert redis_client.get(event_cache.VERSION_KEY) != before.version
    after = event_cache.current(session)
    assert after is not before
    assert after.events[event.id].title == "改过的标题"


def test_a_bulk_update_invalidates_and_a_rollback_does_not(session, redis_client):
    before = event_cache.current(session)
    event = before.upcoming(NOW)[0]
    session.execute(update(Event).where(Event.id == event.id).values(title="不会保存"))
    session.rollback()
    assert redis_client.get(event_cache.VERSION_KEY) == before.version
    session.execute(update(Event).where(Event.id == event.id).values(status=EventStatus.CANCELLED))
    session.commit()
    after = event_cache.current(session)
    assert after.version != before.version
    assert event.id not in _ids(after.upcoming(NOW))


def test_an_emptied_redis_never_brings_back_an_old_snapshot(session, redis_client):
    before = event_cache.current(session)
    redis_client.flushall()
    assert event_cache.current(session) is not before


def test_redis_down_falls_back_to_the_database(session, redis_client):
    event_cache.configure(redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.1))
    try:
        first = event_cache.current(session)
        assert first.version is None
        assert _ids(first.upcoming(NOW)) == _ids(events.upcoming(session, NOW))
        event = first.upcoming(NOW)[0]
        session.get(Event, event.id).title = "断开时修改"
        session.commit()  # the bump fails quietly
        assert event_cache.current(session).events[event.id].title == "断开时修改"
        assert event_cache.current(session, event_cache.DOWN) is not event_cache.current(session, event_cache.DOWN)
    finally:
        event_cache.configure(redis_client)
