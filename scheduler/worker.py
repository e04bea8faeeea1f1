"""``flask worker``: a delivery worker on RQ, sending each batch concurrently.

WeChat answers in tens of milliseconds, so one message at a time caps a worker
at a few dozen messages a second. Here an RQ ``SimpleWorker`` (no fork per
job: the app, the database pool and the HTTP connections stay warm) takes one
batch of outbox ids at a time and hands it to a pool of ``DELIVERY_THREADS``
threads that send side by side; the job returns as soon as its rows are
queued in the pool, so the next batch arrives before the threads run dry.
Each thread claims its row, calls WeChat and records the result; the claims
and results of all threads are committed together by one writer thread
(:class:`services.messaging.outbox_store.GroupCommitStore`). More workers (processes,
machines) scale out on the same queue.

The worker beats ``delivery:worker:<name>`` in Redis; the scheduler recovers
rows held by a worker whose beat stopped (see :mod:`services.messaging.delivery`).

Redis is not the truth, so losing it (restarted, emptied, failed over) must not
stop a worker: RQ's loop quits on a connection error, and :func:`run` starts it
again under the same name once Redis answers, waiting with a growing back-off
(1 s doubling to 30 s) meanwhile. Rows already in the threads keep going out on
the last token read; a row whose token cannot be read is given back uncounted.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import redis
import structlog
from rq import SimpleWorker
from rq.worker import StopRequested
from sqlalchemy import create_engine, event

from scheduler import dispatch
from scheduler.client import pooled_client
from services.messaging import delivery, outbox_store
from services.participation import interactions

log = structlog.get_logger("worker")

_pool: DeliveryPool | None = None
RECONNECT_FIRST, RECONNECT_MAX = 1.0, 30.0  # seconds between attempts to reach Redis again


def worker_name(prefix: str = "worker") -> str:
    """A unique name: host, pid and a random suffix."""
    return f"{prefix}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def delivery_engine(app):
    """The pool's database engine: a few connections (the sending threads write through one writer thread)."""
    from models import db

    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=4, max_overflow=8, pool_pre_ping=True)
    engine = create_engine(url, pool_size=4, max_overflow=8, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class DeliveryPool:
    """Sends batches of outbox rows with a pool of threads, under one worker name."""

    def __init__(self, app, name: str, threads: int | None = None) -> None:
        settings = app.extensions["settings"]
        self.threads = threads or settings.DELIVERY_THREADS
        self.name = name
        self.config = delivery.DeliveryConfig.from_settings(settings)
        self.client = pooled_client(settings, app.extensions["redis"], self.threads)
        self.redis = app.extensions["redis"]
        self.engine = delivery_engine(app)
        self.store = outbox_store.GroupCommitStore(self.engine)
        self.executor = ThreadPoolExecutor(self.threads, thread_name_prefix="deliver")
        # At most two rows per thread wait in the pool: enough to keep every thread busy
        # between two batches, few enough that a killed worker leaves little unstarted.
        self._slots = threading.BoundedSemaphore(2 * self.threads)
        self.heartbeat = dispatch.Heartbeat(dispatch.queue_connection(app), name, settings.DELIVERY_WORKER_TTL)

    def start(self) -> DeliveryPool:
        """Start beating (before the first claim)."""
        self.heartbeat.start()
        return self

    def deliver(self, ids) -> Counter:
        """Deliver the pending rows among ``ids``; outcome counts (sent, retry, failed, skipped)."""
        rows = delivery.load_rows(self.engine, ids, self._noted)
        futures = [self.executor.submit(self._one, row) for row in rows]
        return Counter(future.result() for future in futures)

    def feed(self, ids) -> int:
        """Hand the pending rows among ``ids`` to the threads; return once they are all queued.

        The RQ job returns while the last rows are still being sent, so the next
        batch is fetched in time and no thread idles at the end of each batch.
        """
        rows = delivery.load_rows(self.engine, ids, self._noted)
        for row in rows:
            self._slots.acquire()
            future = self.executor.submit(self._one, row)
            future.add_done_callback(lambda _future: self._slots.release())
        return len(rows)

    def _noted(self, openids: set[str]) -> dict:
        """Interactions the webhook noted that the scheduler may not have written yet (one round trip)."""
        return interactions.noted_seen(self.redis, openids)

    def _one(self, row: delivery.Row) -> str:
        try:
            return delivery.deliver(self.store, self.client, self.config, row, self.name).result
        except Exception:  # a database error; the row stays claimed until this worker stops
            log.exception("delivery.row_error", outbox_id=row.id)
            return "error"

    def close(self) -> None:
        """Finish what is running, stop beating, release connections."""
        self.executor.shutdown(wait=True)
        self.store.close()
        self.heartbeat.stop()
        self.engine.dispose()


def deliver_batch(ids: list[int]) -> int:
    """The RQ job: hand one batch to this worker's sending threads; the number of rows taken."""
    if _pool is None:
        # Only ``flask worker`` (which builds the app and this process's pool) runs delivery jobs.
        raise RuntimeError("delivery batches run in `flask worker`, not in a plain `rq worker`")
    return _pool.feed(ids)


class QueueWorker(SimpleWorker):
    """RQ's ``SimpleWorker``, remembering whether it was asked to stop (SIGTERM/SIGINT)."""

    stopping = threading.Event()  # one worker loop per process; shared by its successive instances

    def request_stop(self, signum, frame):  # noqa: ANN001 (RQ's signal handler)
        """Stop this process after the current job, even while Redis is away."""
        type(self).stopping.set()
        try:
            super().request_stop(signum, frame)
        except redis.RedisError:
            raise StopRequested() from None


def run(app, burst: bool = False, threads: int | None = None) -> None:
    """Run a delivery worker until SIGTERM (or, with ``burst``, until the queue is empty).

    RQ's loop ends on a Redis error; it is started again (same name, so the rows this
    worker holds stay its own) as soon as Redis answers.
    """
    global _pool
    name = worker_name()
    _pool = DeliveryPool(app, name, threads).start()
    connection = dispatch.queue_connection(app)
    queue = dispatch.delivery_queue(app, connection)
    log.info("worker.start", name=name, threads=_pool.threads)
    QueueWorker.stopping.clear()
    wait = RECONNECT_FIRST
    try:
        while not QueueWorker.stopping.is_set():
            worker = None
            try:
                worker = QueueWorker([queue], connection=connection, name=name)  # talks to Redis already
                worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
                if burst and reachable(connection):
                    break
            except (redis.RedisError, ValueError) as error:  # ValueError: our own stale registration
                log.warning("worker.redis_error", name=name, error=str(error))
            except StopRequested:
                break
            if QueueWorker.stopping.is_set():
                break
            wait = reconnect(connection, worker, name, wait)
    finally:
        _pool.close()
        _pool = None
        log.info("worker.stop", name=name)


def reachable(connection: redis.Redis) -> bool:
    """Whether Redis answers a ping now."""
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


def reconnect(connection: redis.Redis, worker: SimpleWorker | None, name: str, wait: float) -> float:
    """Wait (back-off) until Redis answers, then clear the previous loop's registration; the next wait."""
    while not QueueWorker.stopping.is_set():
        try:
            if reachable(connection):
                if worker is not None:
                    worker.register_death()  # so the same name may register its birth again
                log.info("worker.reconnected", name=name)
                return RECONNECT_FIRST
        except redis.RedisError:
            pass
        except StopRequested:
            QueueWorker.stopping.set()
            break
        log.warning("worker.redis_unreachable", name=name, retry_in=wait)
        try:
            QueueWorker.stopping.wait(wait)
        except StopRequested:
            QueueWorker.stopping.set()
        wait = min(RECONNECT_MAX, wait * 2)
    return wait


def deliver_now(app, ids: list[int], threads: int | None = None) -> Counter:
    """Deliver rows in this process (``flask scheduler tick``), under a heartbeat of its own."""
    pool = DeliveryPool(app, worker_name("tick"), threads).start()
    try:
        return pool.deliver(ids)
    finally:
        pool.close()
