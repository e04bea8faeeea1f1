"""Redis killed in the middle of a delivery and back empty: every citizen is told, exactly once.

The outbox in the database is the truth. A real ``redis-server`` is killed
one second into the delivery of 40 result notices and started again, empty,
three seconds later; ``flask worker`` (two of them) and ``flask scheduler
run`` keep running. Every notice reaches its citizen (the emulator records
what reached each phone), none is marked as a final failure, the template
messages arrive once each (a resend carries the same ``client_msg_id``), the
customer-service texts at most twice and only on rows flagged
``possibly_resent``, and the worker processes are still alive (one started
while Redis was away too).
"""

from __future__ import annotations

import collections
import os
import time

import pytest
from sqlalchemy import create_engine, func, select

from models import OutboxMessage, db
from services.messaging import outbox
from tests.reliability.test_redis_outage import RedisProcess
from tests.scheduler.fixtures import beijing, delivery_settings, make_citizen, make_event, make_participant
from tests.scheduler.test_processes import Processes, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PINNED = "2026-01-04T09:05:00+08:00"
NOTICES, TEXTS = 40, 10
OUTBOX = OutboxMessage.__table__


@pytest.fixture
def restart_stack(tmp_path, database_url, emulator):
    """A Redis server of the test's own, an event with 40 selected citizens and their queued notices."""
    from tests.conftest import make_test_app

    server = RedisProcess(tmp_path)
    server.start()
    settings = delivery_settings(emulator.base, WECHAT_HTTP_TIMEOUT=5.0)
    app = make_test_app(tmp_path, server.url, DATABASE_URL=database_url, **settings)
    notified = [f"o_sel_{n:03d}" for n in range(NOTICES)]
    texted = [f"o_txt_{n:03d}" for n in range(TEXTS)]
    queued_at = beijing("2026-01-04 09:00")
    with app.app_context():
        event = make_event(db.session, "2026-01-08 09:30", title="政务开放日·不动产登记")
        for openid in notified:
            make_participant(db.session, event, openid)
            outbox.enqueue(db.session, openid, "selection_result", f"event:{event.id}", {
                "template": "selection", "data": {"title": event.title, "time": "2026年1月8日 09:30",
                                                  "place": event.place, "result": "已入选",
                                                  "note": "请携带身份证按时签到"}}, queued_at)
        for openid in texted:
            make_citizen(db.session, openid, interacted=beijing("2026-01-04 08:00"))
            outbox.enqueue(db.session, openid, "suggestion_reply", f"suggestion:{openid}",
                           {"text": "您的建议已收到，感谢参与。"}, queued_at, channel="custom")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    for openid in notified:
        emulator.follower(openid)
    for openid in texted:
        emulator.follower(openid, interaction="message")
    # Slow enough that the delivery is still under way when Redis goes.
    emulator.admin("POST", "/faults", {"latency_ms": 400, "paths": ["/cgi-bin/message/"]})
    env = {key: value for key, value in os.environ.items() if key != "CLOCK_NOW"}
    env.update({key: str(value) for key, value in settings.items()})
    env.update(
        APP_ENV="test", DATABASE_URL=database_url, REDIS_URL=server.url, FLASK_APP="wsgi:app",
        SECRET_KEY="test-secret-key", DELIVERY_THREADS="2", DELIVERY_BATCH_SIZE="5", DELIVERY_WORKER_TTL="3",
        DELIVERY_RECOVER_SECONDS="1", DELIVERY_DISPATCH_SECONDS="0.5", SCHEDULER_LEADER_TTL="3",
        SCHEDULER_TICK_SECONDS="5", PYTHONUNBUFFERED="1", CLOCK_NOW=PINNED,
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env, logs)
    engine = create_engine(database_url)
    yield procs, engine, server, notified, texted
    procs.stop_all()
    engine.dispose()
    if server.proc and server.proc.poll() is None:
        server.kill()


@pytest.fixture
def emulator():
    from tests.scheduler.fixtures import running_emulator

    yield from running_emulator()


def count(engine, *where) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(OUTBOX).where(*where))


@pytest.mark.timeout(200)
def test_redis_killed_mid_delivery_and_back_empty_loses_and_doubles_nothing(restart_stack, emulator):
    procs, engine, server, notified, texted = restart_stack
    total = NOTICES + TEXTS
    procs.start("scheduler", "scheduler", "run")
    workers = [procs.start(f"worker{n}", "worker") for n in (1, 2)]
    sent = OUTBOX.c.status == "sent"

    wait_for(lambda: count(engine, sent) >= 1, 60, "the delivery to start", procs)
    time.sleep(1)
    server.kill()
    workers.append(procs.start("worker-during-outage", "worker"))  # before: exited at once on ConnectionError
    time.sleep(3)
    server.start()  # empty: no queue, no heartbeats, no token, no leader lock

    # The database is the truth: every row is put back and sent well within 2 minutes.
    wait_for(lambda: count(engine, sent) == total, 120, "every citizen told", procs)
    assert count(engine, OUTBOX.c.status == "failed") == 0
    assert [w.pid for w in workers if w.poll() is not None] == [], "the workers survive the outage"

    received = collections.Counter(message["openid"] for message in emulator.messages())
    with engine.connect() as conn:
        flagged = set(conn.scalars(select(OUTBOX.c.recipient).where(OUTBOX.c.possibly_resent.is_(True))))
    assert {o: received[o] for o in notified if received[o] != 1} == {}, "each notice exactly once"
    assert [o for o in texted if received[o] == 0] == [], "no text lost"
    doubled = {o for o in texted if received[o] > 1}
    assert doubled <= flagged and all(received[o] == 2 for o in doubled), "a text at most twice, and only if flagged"
