"""Exactly once with real processes: SIGKILL schedulers and workers mid-run, then count what WeChat got.

Two ``flask scheduler run`` (one leads, one waits) and two ``flask worker``
run against the emulator, a SQLite file and the session's Redis. The
scheduler queues the reminders of an event itself (its clock pinned to the
make-up Sunday 2026-01-04 09:05); 50 customer-service replies are queued as
the web process would. During the run the leading scheduler and a worker
holding messages in flight are killed; a worker is restarted and the waiting
scheduler takes over; later another worker is killed mid-send and the
survivor finishes the work. In the end every message reached its citizen;
template messages exactly once (WeChat dedups their ``client_msg_id``), and a
customer-service text at most twice and only when its row says
``possibly_resent``.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select

from models import OutboxMessage, db
from services.messaging import outbox
from tests.scheduler.fixtures import beijing, delivery_settings, make_citizen, make_event, make_participant

ROOT = Path(__file__).resolve().parents[2]
PINNED = "2026-01-04T09:05:00+08:00"  # Sunday, a make-up working day; the event is on Monday
REMINDERS, REPLIES = 150, 50
OUTBOX = OutboxMessage.__table__


class Processes:
    """Child processes started by this test (and only those), with their logs."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}-{len(self.procs)}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env={**self.env, **extra_env},
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL: no clean-up, no goodbye."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def output(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.logs.glob("*.log")))


def wait_for(condition, timeout: float, what: str, procs: Processes):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{procs.output()}")


@pytest.fixture
def stack(tmp_path, redis_server, redis_client, emulator):
    """The database with an event, its participants and queued replies; the child processes' environment."""
    from tests.conftest import make_test_app

    settings = delivery_settings(emulator.base, WECHAT_HTTP_TIMEOUT=5.0)
    app = make_test_app(tmp_path, redis_server, **settings)
    openids = [f"o_rem_{n:03d}" for n in range(REMINDERS)]
    replies = [f"o_rep_{n:03d}" for n in range(REPLIES)]
    with app.app_context():
        event = make_event(db.session, "2026-01-05 09:30", title="政务开放日·不动产登记")
        for openid in openids:
            make_participant(db.session, event, openid)
        for openid in replies:
            make_citizen(db.session, openid, interacted=beijing("2026-01-04 08:00"))
            outbox.enqueue(db.session, openid, "suggestion_reply", f"suggestion:{openid}",
                           {"text": "您的建议已采纳，感谢参与。"}, beijing("2026-01-04 09:00"), channel="custom")
        db.session.commit()
        database_url = str(db.engine.url)
        db.session.remove()
        db.engine.dispose()
    for openid in openids:
        emulator.follower(openid)
    for openid in replies:
        emulator.follower(openid, interaction="message")
    emulator.admin("POST", "/faults", {"latency_ms": 150, "paths": ["/cgi-bin/message/"]})
    env = {key: value for key, value in os.environ.items() if key != "CLOCK_NOW"}
    env.update({key: str(value) for key, value in settings.items()})
    env.update(
        APP_ENV="test", DATABASE_URL=database_url, REDIS_URL=redis_server, FLASK_APP="wsgi:app",
        SECRET_KEY="test-secret-key", DELIVERY_THREADS="4", DELIVERY_BATCH_SIZE="10", DELIVERY_WORKER_TTL="2",
        DELIVERY_RECOVER_SECONDS="1", DELIVERY_DISPATCH_SECONDS="0.5", SCHEDULER_LEADER_TTL="2",
        SCHEDULER_TICK_SECONDS="1", PYTHONUNBUFFERED="1",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env, logs)
    engine = create_engine(database_url, connect_args={"timeout": 30})
    yield procs, engine, redis.Redis.from_url(redis_server), openids, replies
    procs.stop_all()
    engine.dispose()


def count(engine, *where) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(OUTBOX).where(*where))


def held_by(engine, pid: int) -> list[int]:
    """Rows a worker process holds in flight right now."""
    with engine.connect() as conn:
        return list(conn.scalars(select(OUTBOX.c.id).where(
            OUTBOX.c.status == "sending", OUTBOX.c.claimed_by.like(f"worker.%.{pid}.%"))))


def busy(engine, workers: list[subprocess.Popen]) -> subprocess.Popen | None:
    """A running worker that holds messages in flight right now."""
    return next((w for w in workers if w.poll() is None and held_by(engine, w.pid)), None)


def leader_pid(connection: redis.Redis) -> int | None:
    identity = connection.get("scheduler:leader")
    return int(identity.decode().split(":")[1]) if identity else None


@pytest.mark.timeout(120)
def test_sigkill_schedulers_and_workers_mid_run_loses_and_doubles_nothing(stack, emulator):
    procs, engine, connection, openids, replies = stack
    total = REMINDERS + REPLIES
    schedulers = [procs.start(f"scheduler{n}", "scheduler", "run", CLOCK_NOW=PINNED) for n in (1, 2)]
    workers = [procs.start(f"worker{n}", "worker") for n in (1, 2)]
    sent = OUTBOX.c.status == "sent"

    # 1. Mid-run: kill the leading scheduler and a worker that has messages in flight.
    first_leader = wait_for(lambda: leader_pid(connection), 30, "a leader", procs)
    wait_for(lambda: count(engine, sent) >= 20, 40, "the first messages", procs)
    victim = wait_for(lambda: busy(engine, workers), 20, "a worker with messages in flight", procs)
    leader = next(proc for proc in schedulers if proc.pid == first_leader)
    procs.kill(victim)
    procs.kill(leader)
    interrupted = held_by(engine, victim.pid)  # still "sending": their calls were cut off
    workers = [w for w in workers if w is not victim] + [procs.start("worker-restarted", "worker")]

    # 2. The waiting scheduler takes over within a few seconds (TTL 2 s here, 30 s by default).
    wait_for(lambda: (pid := leader_pid(connection)) not in (None, first_leader) and pid, 15, "a new leader", procs)

    # 3. Later, kill another worker in the middle of its sends; the survivor finishes the work.
    wait_for(lambda: count(engine, sent) >= total * 0.5, 40, "half sent", procs)
    victim = wait_for(lambda: busy(engine, workers), 20, "a worker with messages in flight", procs)
    procs.kill(victim)
    interrupted += held_by(engine, victim.pid)

    wait_for(lambda: count(engine, sent) == total, 60, "every message sent", procs)
    assert count(engine, OUTBOX.c.status != "sent") == 0

    # What the phones received.
    received = collections.Counter(message["openid"] for message in emulator.messages())
    with engine.connect() as conn:
        flagged = {row.recipient for row in conn.execute(select(OUTBOX).where(OUTBOX.c.possibly_resent.is_(True)))}
        recovered = set(conn.scalars(select(OUTBOX.c.recipient).where(OUTBOX.c.id.in_(interrupted))))
    assert interrupted, "the kills caught messages in flight"
    assert recovered <= flagged, "every interrupted row is flagged as possibly re-sent"
    assert [o for o in openids + replies if received[o] == 0] == [], "no losses"
    assert {o: received[o] for o in openids if received[o] != 1} == {}, "templates exactly once (client_msg_id)"
    doubled = {o for o in replies if received[o] > 1}
    assert doubled <= flagged and all(received[o] == 2 for o in doubled), "a text at most twice, and only if flagged"
    assert sum(received.values()) == total + len(doubled)
