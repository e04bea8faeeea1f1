"""Shared console fixtures: the demo programme, one account per role, ``login_as``.

The clock is pinned to :data:`CONSOLE_NOW` (a Monday in March 2026, so every demo
event falls in a year with an official holiday schedule). Tests move time inside
their body with ``clock.frozen(...)``.

Roles for ``login_as``: ``coordinator``, ``unit_a`` (采育镇, alias ``unit``),
``unit_b`` (观音寺街道), ``auditor``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from services.calendar import clock

CONSOLE_NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=clock.SHANGHAI)
UNIT_A = "采育镇"
UNIT_B = "观音寺街道"
# role -> (username, password, unit name or None)
USERS = {
    "coordinator": ("coord", "coord-pass-1", None),
    "unit_a": ("unit_a", "unit-a-pass-1", UNIT_A),
    "unit_b": ("unit_b", "unit-b-pass-1", UNIT_B),
    "auditor": ("auditor", "audit-pass-1", None),
}
ROLE_ALIASES = {"unit": "unit_a"}
CATEGORIES = ["人大代表", "政协委员", "群众代表（家长）", "群众代表（企业）", "媒体记者", "其他群众"]
STREETS = ["采育镇", "观音寺街道", "林校路街道", "天宫院街道"]
_mobiles = itertools.count(13800000000)


@dataclass
class ConsoleData:
    """Ids of what the fixtures loaded (use them in URLs and queries)."""

    unit_a_id: int
    unit_b_id: int
    event_a_id: int  # OD-08 采育镇, offline, 30 seats, published
    event_a2_id: int  # OD-09 采育镇, offline
    event_b_id: int  # OD-01 观音寺街道, offline
    hybrid_event_id: int  # OD-03 天宫院街道, hybrid (livestreamed)
    online_event_id: int  # OD-05 政务和数据局, online
    users: dict[str, int] = field(default_factory=dict)  # role -> StaffUser.id


@pytest.fixture
def console_now():
    """Pin the clock to CONSOLE_NOW for the whole test."""
    with clock.frozen(CONSOLE_NOW) as frozen:
        yield frozen


@pytest.fixture
def console_data(app, console_now) -> ConsoleData:
    """Demo data plus one staff account per role."""
    from app import demo
    from models import Event, Unit, db
    from services.admin import staff

    with app.app_context():
        demo.load(db.session, console_now)
        users = {}
        for role, (username, password, unit) in USERS.items():
            kind = "unit" if unit else role
            user = staff.create_user(db.session, username, kind, password, unit, f"{username}测试", console_now)
            users[role] = user.id
        units = {u.name: u.id for u in db.session.scalars(select(Unit))}
        events = {e.code: e.id for e in db.session.scalars(select(Event))}
        return ConsoleData(
            unit_a_id=units[UNIT_A], unit_b_id=units[UNIT_B],
            event_a_id=events["OD-08"], event_a2_id=events["OD-09"], event_b_id=events["OD-01"],
            hybrid_event_id=events["OD-03"], online_event_id=events["OD-05"], users=users,
        )


def login(client, role: str):
    """Log ``client`` in as ``role``; returns the client."""
    username, password, _ = USERS[ROLE_ALIASES.get(role, role)]
    response = client.post("/console/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {role} failed"
    return client


@pytest.fixture
def login_as(app, console_data):
    """``login_as(role)`` → a fresh test client logged in as that role."""

    def _login(role: str):
        return login(app.test_client(), role)

    return _login


@pytest.fixture
def make_applicants(app, console_data):
    """``make_applicants(event_id, n, categories=None, streets=None)`` → list of Application ids.

    Rows are written directly (a citizen each), status ``applied``; categories and
    streets cycle through the given lists.
    """
    from models import Application, ApplicationStatus, Citizen, db

    counter = itertools.count(1)

    def _make(event_id: int, n: int, categories=None, streets=None) -> list[int]:
        categories = categories or CATEGORIES
        streets = streets or STREETS
        ids = []
        with app.app_context():
            for i in range(n):
                number = next(counter)
                citizen = Citizen(openid=f"o_test_{event_id}_{number}", nickname=f"市民{number}",
                                  created_at=clock.now())
                db.session.add(citizen)
                db.session.flush()
                application = Application(
                    event_id=event_id, citizen_id=citizen.id, name=f"申请人{number}", mobile=str(next(_mobiles)),
                    category=categories[i % len(categories)], street=streets[i % len(streets)],
                    reason="希望了解政策", status=ApplicationStatus.APPLIED, created_at=clock.now(),
                )
                db.session.add(application)
                db.session.flush()
                ids.append(application.id)
            db.session.commit()
        return ids

    return _make
