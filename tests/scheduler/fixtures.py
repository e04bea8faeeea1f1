"""Fixtures and factories for the reminder, delivery and scheduler tests.

The WeChat API emulator runs for real on a free port (in a thread for
in-process tests, as a child process for the process tests); the app talks to
it through the real shared-token client.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterator

from models import (
    Application,
    ApplicationStatus,
    Citizen,
    Event,
    EventKind,
    EventMode,
    EventStatus,
    StaffRole,
    StaffUser,
    Unit,
)
from services.calendar import clock
from tests.conftest import make_test_app
from tests.emulator.helpers import APPID, SECRET, Emulator, start_emulator

_numbers = itertools.count(1)
# One log line per emulator request drowns the useful output of a failing test.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def beijing(text: str) -> dt.datetime:
    """A Beijing wall time as an aware UTC instant: ``beijing("2026-10-09 09:05")``."""
    return clock.to_utc(dt.datetime.fromisoformat(text))


def delivery_settings(api_base: str, **extra) -> dict:
    """App settings pointing at an emulator, with small delivery knobs for tests."""
    return {
        "WECHAT_API_BASE": api_base, "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET,
        "WECHAT_HTTP_TIMEOUT": 0.6, "DELIVERY_THREADS": 8, "DELIVERY_BATCH_SIZE": 20,
        "DELIVERY_BACKOFF_BASE": 0.01, "DELIVERY_BACKOFF_MAX": 0.05, "DELIVERY_WORKER_TTL": 2,
        "PUBLIC_BASE_URL": "https://zm.example.gov.cn", **extra,
    }


def running_emulator() -> Iterator[Emulator]:
    """A fresh WeChat API emulator in a thread (use as ``yield from`` in a fixture)."""
    emu, server = start_emulator()
    yield emu
    server.stop()


def app_on_emulator(tmp_path, redis_url: str, emulator: Emulator, **extra) -> Iterator:
    """The application on a fresh database, talking to ``emulator`` (use as ``yield from``)."""
    from models import db

    app = make_test_app(tmp_path, redis_url, **delivery_settings(emulator.base, **extra))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_unit(session, name: str = "清源街道") -> Unit:
    """A responsible unit (reused by name)."""
    unit = session.query(Unit).filter_by(name=name).one_or_none()
    if unit is None:
        unit = Unit(name=name, kind="街道")
        session.add(unit)
        session.flush()
    return unit


def make_event(session, starts: str, mode: EventMode = EventMode.OFFLINE, kind: EventKind = EventKind.OPEN_DAY,
               status: EventStatus = EventStatus.PUBLISHED, unit: Unit | None = None, **values) -> Event:
    """An event starting at the Beijing time ``starts``."""
    unit = unit or make_unit(session)
    number = next(_numbers)
    event = Event(code=f"T-{number}", kind=kind, mode=mode, status=status, title=values.pop("title", f"政务开放日{number}"),
                  place=values.pop("place", "清源街道政务服务大厅"), starts_at=beijing(starts), unit_id=unit.id,
                  seats=values.pop("seats", 0 if mode == EventMode.ONLINE else 30),
                  created_at=clock.now(), **values)
    session.add(event)
    session.flush()
    return event


def make_citizen(session, openid: str, following: bool = True, interacted: dt.datetime | None = None) -> Citizen:
    """A citizen known to the service."""
    citizen = Citizen(openid=openid, following=following, created_at=clock.now(), last_interaction_at=interacted)
    session.add(citizen)
    session.flush()
    return citizen


def make_participant(session, event: Event, openid: str | None, status=ApplicationStatus.SELECTED,
                     following: bool = True, invited: bool = False) -> Application:
    """An application of ``openid`` (None: a directed invitee without WeChat) to ``event``."""
    citizen = None
    if openid is not None:
        citizen = session.query(Citizen).filter_by(openid=openid).one_or_none() or make_citizen(
            session, openid, following)
    application = Application(event_id=event.id, citizen_id=citizen.id if citizen else None, category="群众代表",
                              status=status, invited=invited, created_at=clock.now())
    session.add(application)
    session.flush()
    return application


def make_staff(session, username: str, role: StaffRole, openid: str, unit: Unit | None = None) -> StaffUser:
    """A console account bound to a WeChat openid."""
    staff = StaffUser(username=username, role=role, openid=openid, unit_id=unit.id if unit else None,
                      password_hash="x", created_at=clock.now())
    session.add(staff)
    session.flush()
    return staff


def follow_all(emulator: Emulator, *openids: str, **fields) -> None:
    """Make the emulator know these citizens as followers."""
    for openid in openids:
        emulator.follower(openid, **fields)
