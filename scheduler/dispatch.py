"""The delivery queue on RQ: connections, worker heartbeats, and handing due rows to workers.

The outbox table is the truth; RQ only carries batches of row ids to the
workers. A batch lost with its worker (SIGKILL) or with Redis is noticed
here: its rows are still ``pending`` and name a queue job that is gone, or
that was taken by a worker whose heartbeat has expired, so the next pass
queues them again. A row queued twice is still sent once: a worker must win
the row's claim (an UPDATE from ``pending``) before sending.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from services.messaging import delivery

WORKER_KEY = "delivery:worker:{}"
JOB_TIMEOUT = 600  # seconds; a batch normally takes well under a minute
FAILURE_TTL = 24 * 3600
WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# A finished job's rows may still wait in its worker's thread pool: theirs while the worker lives.
HANDED_OVER = {JobStatus.STARTED, JobStatus.FINISHED}
RESULT_TTL = 60  # seconds a finished job is remembered; then its unsent rows are queued again


def queue_connection(app) -> redis.Redis:
    """A Redis client for RQ: the app's server (``redis_url``, set by the shell), without the webhook's
    short socket timeout."""
    if "delivery_redis" not in app.extensions:
        url = app.extensions["redis_url"]
        app.extensions["delivery_redis"] = redis.Redis.from_url(url, health_check_interval=30)
    return app.extensions["delivery_redis"]


def delivery_queue(app, connection: redis.Redis | None = None) -> Queue:
    """The RQ queue delivery batches go through (``DELIVERY_QUEUE``)."""
    return Queue(app.extensions["settings"].DELIVERY_QUEUE, connection=connection or queue_connection(app))


# --- worker liveness -----------------------------------------------------------------------------


class Heartbeat:
    """Keeps ``delivery:worker:<name>`` alive in Redis while this process delivers.

    The key expires ``ttl`` seconds after the last beat, so a killed worker is
    recognised as dead that long after its death, and its rows recovered.
    """

    def __init__(self, connection: redis.Redis, name: str, ttl: int) -> None:
        self.connection, self.name, self.ttl = connection, name, max(1, int(ttl))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)

    def start(self) -> Heartbeat:
        """Beat once now (before any claim), then every third of the TTL."""
        self.beat()
        self._thread.start()
        return self

    def beat(self) -> None:
        """Refresh the key."""
        self.connection.set(WORKER_KEY.format(self.name), "1", ex=self.ttl)

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.beat()
            except redis.RedisError:
                pass  # the next beat tries again; a long outage makes our rows recoverable

    def stop(self) -> None:
        """Stop beating and remove the key (the rows we hold are all finished by now)."""
        self._stop.set()
        try:
            self.connection.delete(WORKER_KEY.format(self.name))
        except redis.RedisError:
            pass


def worker_alive(connection: redis.Redis) -> Callable[[str], bool]:
    """``alive(name)``: whether the worker ``name`` has beaten recently."""
    def alive(name: str) -> bool:
        return bool(name) and connection.exists(WORKER_KEY.format(name)) == 1

    return alive


def job_alive(connection: redis.Redis) -> Callable[[str], bool]:
    """``alive(job_id)``: the job still waits, or was taken by a live worker (cached for one pass)."""
    worker_is_alive = worker_alive(connection)
    cache: dict[str, bool] = {}

    def alive(job_id: str) -> bool:
        if job_id not in cache:
            try:
                job = Job.fetch(job_id, connection=connection)
                status = job.get_status(refresh=False)
            except NoSuchJobError:
                cache[job_id] = False
            else:
                cache[job_id] = status in WAITING or (
                    status in HANDED_OVER and worker_is_alive(job.worker_name or ""))
        return cache[job_id]

    return alive


# --- dispatch ----------------------------------------------------------------------------------------


def dispatch(session, queue: Queue, now: dt.datetime, batch_size: int, limit: int = 20000) -> int:
    """Hand every due, unqueued row to the workers in batches; returns how many rows were queued.

    The rows' job ids are committed before the jobs exist: a crash in between
    leaves rows naming a missing job, which the next pass queues again.
    """
    ids = delivery.dispatchable(session, now, job_alive(queue.connection), limit)
    batches = [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    job_ids = [uuid.uuid4().hex for _ in batches]
    for batch, job_id in zip(batches, job_ids, strict=True):
        delivery.mark_queued(session, batch, job_id)
    session.commit()
    if batches:
        jobs = [Queue.prepare_data("scheduler.worker.deliver_batch", args=(batch,), job_id=job_id,
                                   timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                                   description=f"deliver {len(batch)} outbox rows")
                for batch, job_id in zip(batches, job_ids, strict=True)]
        with queue.connection.pipeline() as pipe:
            queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()
    return len(ids)
