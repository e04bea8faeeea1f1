"""The delivery queue on RQ: connections, worker heartbeats, and handing due rows to workers.

The outbox table is the truth; RQ only carries batches of row ids to the
workers. A batch lost with its worker (SIGKILL) or with Redis is noticed
here: its rows are still ``pending`` and name a queue job that is gone, or
that was taken by a worker whose heartbeat has expired, so the next pass
queues them again. A row queued twice is still sent once: a worker must win
the row's claim (an UPDATE from ``pending``) before sending.

Redis may come back empty (restarted, flushed, failed over to a replica that
missed the last writes): a job whose entry left the queue while its record
stayed is lost too, and a heartbeat key that vanished with the data does not
make its worker dead. A worker counts as dead only after this scheduler has
seen its beat missing for a whole ``DELIVERY_WORKER_TTL`` (:class:`WorkerWatch`),
so a live worker's rows are not taken from under it (and sent twice) while
it has not yet beaten into the new Redis.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
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
        """Refresh the key; Redis unreachable: the next beat tries again (a long outage makes our rows
        recoverable)."""
        try:
            self.connection.set(WORKER_KEY.format(self.name), "1", ex=self.ttl)
        except redis.RedisError:
            pass

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.beat()

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


class WorkerWatch:
    """Which delivery workers are dead, as this scheduler process has seen their heartbeats.

    A worker is dead once its key has been missing for ``ttl`` seconds of this
    process's observation; a Redis that cannot be asked says nothing (alive).
    """

    def __init__(self, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.monotonic = float(ttl), monotonic
        self.missing_since: dict[str, float] = {}

    def alive(self, connection: redis.Redis) -> Callable[[str], bool]:
        """``alive(name)`` for one recovery pass."""
        def alive(name: str) -> bool:
            if not name:
                return False
            try:
                beating = connection.exists(WORKER_KEY.format(name)) == 1
            except redis.RedisError:
                return True
            now = self.monotonic()
            if beating:
                self.missing_since.pop(name, None)
                return True
            self._forget_older_than(now - 100 * self.ttl)
            return now - self.missing_since.setdefault(name, now) < self.ttl

        return alive

    def _forget_older_than(self, moment: float) -> None:
        for name in [name for name, since in self.missing_since.items() if since < moment]:
            del self.missing_since[name]


def worker_watch(app) -> WorkerWatch:
    """This process's :class:`WorkerWatch` (``DELIVERY_WORKER_TTL``)."""
    if "delivery_watch" not in app.extensions:
        app.extensions["delivery_watch"] = WorkerWatch(app.extensions["settings"].DELIVERY_WORKER_TTL)
    return app.extensions["delivery_watch"]


def job_alive(connection: redis.Redis, queue: Queue | None = None) -> Callable[[str], bool]:
    """``alive(job_id)``: the job still waits in ``queue``, or was taken by a live worker (cached for one pass)."""
    worker_is_alive = worker_alive(connection)
    cache: dict[str, bool] = {}
    queued: list[set[str]] = []  # the queue's entries, read once per pass when first needed

    def waiting(job_id: str) -> bool:
        if queue is None:
            return True
        if not queued:
            queued.append(set(queue.get_job_ids()))
        return job_id in queued[0]

    def alive(job_id: str) -> bool:
        if job_id not in cache:
            try:
                job = Job.fetch(job_id, connection=connection)
                status = job.get_status(refresh=False)
            except NoSuchJobError:
                cache[job_id] = False
            else:
                cache[job_id] = (status in WAITING and (status != JobStatus.QUEUED or waiting(job_id))) or (
                    status in HANDED_OVER and worker_is_alive(job.worker_name or ""))
        return cache[job_id]

    return alive


# --- dispatch ----------------------------------------------------------------------------------------


def dispatch(session, queue: Queue, now: dt.datetime, batch_size: int, limit: int = 20000) -> int:
    """Hand every due, unqueued row to the workers in batches; returns how many rows were queued.

    The rows' job ids are committed before the jobs exist: a crash in between
    leaves rows naming a missing job, which the next pass queues again.
    """
    ids = delivery.dispatchable(session, now, job_alive(queue.connection, queue), limit)
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
