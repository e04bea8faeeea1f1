"""``flask scheduler run``: APScheduler in its own process, one leader at a time.

Every scheduler process runs the same timers, but a job only acts in the
process holding the leader lock: redis-py's lock with a TTL
(``SCHEDULER_LEADER_TTL``) that the leader renews every third of the TTL.
A second process keeps trying; when the leader dies its key expires and the
other takes over (within TTL + TTL/3, 40 s by default) and runs every job at
once. The leader writes ``scheduler:heartbeat`` (a Unix timestamp) for
``/healthz``.
"""

from __future__ import annotations

import os
import signal
import socket
import uuid

import redis
import structlog
from apscheduler.schedulers.blocking import BlockingScheduler
from redis.exceptions import LockError

from scheduler.jobs import JOBS, JobContext, JobDefinition
from services.calendar import clock

log = structlog.get_logger("scheduler")

LEADER_KEY = "scheduler:leader"
HEARTBEAT_KEY = "scheduler:heartbeat"


class LeaderLock:
    """redis-py's :class:`~redis.lock.Lock` held by the leader and renewed by it; only the holder's jobs act.

    Not thread-local: the lock is renewed on one of the scheduler's threads and
    checked on the others. The token is this process's identity, so the key
    names the leader (host:pid:random).
    """

    def __init__(self, connection: redis.Redis, ttl: int, identity: str | None = None) -> None:
        self.ttl = int(ttl)
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lock = connection.lock(LEADER_KEY, timeout=self.ttl, blocking=False, thread_local=False)
        self.held = False

    def refresh(self) -> bool:
        """Renew the lock if held, else try to take it; whether this process leads now."""
        try:
            if self.held:
                self._lock.reacquire()
            else:
                self.held = self._lock.acquire(token=self.identity)
        except LockError:  # the key expired or another process holds it now
            log.warning("scheduler.leadership_lost", identity=self.identity)
            self.held = False
        except redis.RedisError as exc:
            log.warning("scheduler.redis_error", error=str(exc))
            self.held = False
        return self.held

    def still_held(self) -> bool:
        """Check the key itself (another process may have taken over after a long pause)."""
        try:
            return self._lock.owned()
        except redis.RedisError:
            return False

    def release(self) -> None:
        """Give the lock up (on a clean shutdown) so another process takes over at once."""
        try:
            self._lock.release()
        except (LockError, redis.RedisError):
            pass
        self.held = False


class SchedulerProcess:
    """The BlockingScheduler with the leader lock and one timer per job definition."""

    def __init__(self, app) -> None:
        from scheduler.dispatch import queue_connection

        self.app = app
        self.settings = app.extensions["settings"]
        self.connection = queue_connection(app)
        self.lock = LeaderLock(self.connection, self.settings.SCHEDULER_LEADER_TTL)
        self.scheduler = BlockingScheduler(
            timezone=clock.SHANGHAI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )

    def start(self) -> None:
        """Add the timers and block until SIGTERM/SIGINT."""
        self.leadership()  # a process that can lead at once runs every job now
        self.scheduler.add_job(self.leadership, "interval", seconds=max(1.0, self.settings.SCHEDULER_LEADER_TTL / 3),
                               id="leadership")
        for job in JOBS:
            self.scheduler.add_job(self.run_job, "interval", seconds=job.every(self.settings),
                                   args=[job], id=job.name, name=job.description)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        log.info("scheduler.start", identity=self.lock.identity, jobs=[job.name for job in JOBS])
        try:
            self.scheduler.start()
        finally:
            self.lock.release()
            log.info("scheduler.stop", identity=self.lock.identity)

    def _stop(self, signum, frame) -> None:  # noqa: ANN001
        self.scheduler.shutdown(wait=False)

    def leadership(self) -> None:
        """Renew or take the lock; a new leader runs every job now; the leader beats."""
        was_leader = self.lock.held
        if not self.lock.refresh():
            return
        try:
            self.connection.set(HEARTBEAT_KEY, str(clock.now().timestamp()))
        except redis.RedisError:
            pass
        if not was_leader:
            log.info("scheduler.leader", identity=self.lock.identity)
            self.catch_up()

    def catch_up(self) -> None:
        """Run every job once, in order, now (a takeover or a restart catches up at once).

        In the scheduler's pool, not in this thread: a long catch-up must not delay
        the renewal of the lock.
        """
        self.scheduler.add_job(self.run_all, id="catch-up", replace_existing=True)

    def run_all(self) -> None:
        """One pass of every job, in the order of :data:`JOBS`."""
        for job in JOBS:
            self.run_job(job)

    def run_job(self, job: JobDefinition) -> None:
        """Run one job in an app context if this process leads."""
        if not self.lock.held or not self.lock.still_held():
            return
        from models import db

        with self.app.app_context():
            try:
                count, summary = job.run(JobContext(self.app, db.session, clock.now()))
                if count:
                    log.info("scheduler.job", job=job.name, summary=summary)
            except Exception:
                db.session.rollback()
                log.exception("scheduler.job_failed", job=job.name)
            finally:
                db.session.remove()


def run(app) -> None:
    """Run the scheduler process until it is stopped."""
    SchedulerProcess(app).start()
