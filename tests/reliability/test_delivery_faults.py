"""The emulator failing 30% of calls (-1, 45009, 5xx, timeouts): every message delivered exactly once."""

from __future__ import annotations

import collections
import datetime as dt

import pytest
from sqlalchemy import func, select

from models import OutboxMessage, OutboxStatus, db
from scheduler import worker
from services.calendar import clock
from services.messaging import delivery
from tests.scheduler.fixtures import app_on_emulator, running_emulator
from tests.services.messaging.test_delivery import NOW, REMINDER, queue

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator():
    yield from running_emulator()


@pytest.fixture
def app(tmp_path, redis_server, redis_client, emulator):
    yield from app_on_emulator(tmp_path, redis_server, emulator)


def test_thirty_percent_faults_still_deliver_every_message_exactly_once(app, emulator):
    openids = [f"o_fault_{i}" for i in range(60)]
    for openid in openids:
        emulator.follower(openid)
    with clock.frozen(NOW):
        ids = [queue(app, openid, dict(REMINDER)) for openid in openids]
    emulator.admin("POST", "/faults", {
        "rate": 0.3, "kinds": ["-1", "45009", "500", "timeout"], "seed": 7,
        "paths": ["/cgi-bin/message/"], "timeout_seconds": 0.9,
    })
    for round_no in range(12):  # each round an hour later: every back-off has passed
        with clock.frozen(NOW + dt.timedelta(hours=round_no)):
            with app.app_context():
                due = delivery.dispatchable(db.session, clock.now(), lambda _job: False)
                db.session.commit()
            if not due:
                break
            worker.deliver_now(app, due, threads=8)
    emulator.admin("DELETE", "/faults")
    injected = emulator.admin("GET", "/stats")["faults_injected"]
    with app.app_context():
        statuses = dict(db.session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.id.in_(ids)).group_by(OutboxMessage.status)).all())
    received = collections.Counter(m["openid"] for m in emulator.messages())
    assert injected >= 10, "the faults really happened"
    assert statuses == {OutboxStatus.SENT: 60}, _debug(app)
    assert {o: received[o] for o in openids if received[o] != 1} == {}, "each citizen got exactly one card"


def _debug(app):
    with app.app_context():
        return [(m.last_error_code, m.last_error) for m in db.session.scalars(select(OutboxMessage)).all()[:3]]
