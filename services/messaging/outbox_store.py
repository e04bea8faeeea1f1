"""The delivery hot path's database writes: claim a row, record its result.

Both are single UPDATE statements built once (compiling a fresh statement per
message costs more CPU than the send). Two stores run them:

* :class:`DirectStore` — one transaction per statement; for one-at-a-time use.
* :class:`GroupCommitStore` — the sending threads of a worker hand their
  claims and results to one writer thread, which commits whatever has piled
  up in one transaction (a few statements) and then wakes every waiting thread. Each thread still waits
  until its own claim or result is committed, so nothing about the
  exactly-once window changes; but a worker makes a few commits a second
  instead of two per message, and SQLite's single writer lock (whose busy
  waits sleep in steps of milliseconds) stops being the bottleneck.

The database is the truth, so a result is never dropped because the database
was away (restarted, paused, failed over): the thread waits and records it
again (back-off 0.5 s doubling to 10 s) until it is committed; a row left
``sending`` under a live worker would otherwise never be sent nor recovered.
A claim whose commit failed may or may not have been committed: the claim is
given back the same way before the row is skipped (it was not sent).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future

import structlog
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models import Citizen, OutboxMessage, OutboxStatus

log = structlog.get_logger("delivery")

OUTBOX = OutboxMessage.__table__
CITIZENS = Citizen.__table__
PENDING, SENDING, SENT, FAILED = (s.value for s in (
    OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED))

CLAIM = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.status == PENDING,
           or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= bindparam("now")))
    .values(status=SENDING, claimed_by=bindparam("worker"), in_flight_since=bindparam("now"),
            attempts=OUTBOX.c.attempts + 1, updated_at=bindparam("now"))
)
CLAIM_MANY = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)), OUTBOX.c.status == PENDING,
           or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= bindparam("now")))
    .values(status=SENDING, claimed_by=bindparam("worker"), in_flight_since=bindparam("now"),
            attempts=OUTBOX.c.attempts + 1, updated_at=bindparam("now"))
    .returning(OUTBOX.c.id)
)
# Not a status: a claim given back because our own infrastructure failed before WeChat was called
# (Redis unreachable). Back to ``pending`` later, and the attempt does not count.
DEFERRED = "deferred"
# A claim taken back because its commit failed (the row was not sent): the attempt does not count.
RELEASED = "released"
# The database could not be reached: wait and try again.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_FIRST, RETRY_MAX = 0.5, 10.0
_HELD = (OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.status == SENDING, OUTBOX.c.claimed_by == bindparam("worker"))
_RELEASE = {"in_flight_since": None, "claimed_by": "", "queue_job": ""}
FINISH = {
    SENT: update(OUTBOX).where(*_HELD).values(
        status=SENT, sent_channel=bindparam("via"), wechat_msgid=bindparam("msgid"), sent_at=bindparam("now"),
        updated_at=bindparam("now"), **_RELEASE),
    PENDING: update(OUTBOX).where(*_HELD).values(
        status=PENDING, next_attempt_at=bindparam("next_at"), last_error_code=bindparam("code"),
        last_error=bindparam("reason"), possibly_resent=OUTBOX.c.possibly_resent | bindparam("maybe"),
        updated_at=bindparam("now"), **_RELEASE),
    DEFERRED: update(OUTBOX).where(*_HELD).values(
        status=PENDING, next_attempt_at=bindparam("next_at"), attempts=OUTBOX.c.attempts - 1,
        last_error=bindparam("reason"), possibly_resent=OUTBOX.c.possibly_resent | bindparam("maybe"),
        updated_at=bindparam("now"), **_RELEASE),
    RELEASED: update(OUTBOX).where(*_HELD).values(
        status=PENDING, attempts=OUTBOX.c.attempts - 1, updated_at=bindparam("now"), **_RELEASE),
    FAILED: update(OUTBOX).where(*_HELD).values(
        status=FAILED, last_error_code=bindparam("code"), last_error=bindparam("reason"),
        possibly_resent=OUTBOX.c.possibly_resent | bindparam("maybe"), updated_at=bindparam("now"), **_RELEASE),
}


def load_rows(engine, ids: Iterable[int]) -> list[tuple]:
    """The pending rows among ``ids``, with the recipient's last interaction (48-hour window)."""
    ids = list(ids)
    if not ids:
        return []
    query = (
        select(OUTBOX.c.id, OUTBOX.c.key, OUTBOX.c.recipient, OUTBOX.c.channel, OUTBOX.c.payload,
               OUTBOX.c.attempts, CITIZENS.c.last_interaction_at)
        .select_from(OUTBOX.outerjoin(CITIZENS, CITIZENS.c.openid == OUTBOX.c.recipient))
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == PENDING)
        .order_by(OUTBOX.c.id)
    )
    with engine.connect() as conn:
        return [tuple(values) for values in conn.execute(query)]


class DirectStore:
    """Each claim and each result in a transaction of its own."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def claim(self, row_id: int, worker: str, now) -> bool:
        """Take a pending row (due for another attempt) for ``worker``; whether it was won.

        When the database cannot be reached the claim is given back (it may have been
        committed) once the database answers again, and the row is not won.
        """
        params = {"row_id": row_id, "worker": worker, "now": now}
        try:
            return self._claim(params)
        except UNREACHABLE as error:
            log.warning("delivery.claim_unrecorded", outbox_id=row_id, error=type(error).__name__)
            self._until_recorded(RELEASED, params)
            return False

    def finish(self, status: str, row_id: int, worker: str, **values) -> None:
        """Record a result, unless the row was taken away from ``worker`` meanwhile; waits for the database."""
        self._until_recorded(status, {"row_id": row_id, "worker": worker, **values})

    def _until_recorded(self, kind: str, params: dict) -> None:
        wait = RETRY_FIRST
        while True:
            try:
                return self._record(kind, params)
            except UNREACHABLE as error:
                log.warning("delivery.result_unrecorded", outbox_id=params["row_id"], result=kind,
                            error=type(error).__name__, retry_in=wait)
                time.sleep(wait)
                wait = min(RETRY_MAX, wait * 2)

    def _claim(self, params: dict) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(CLAIM, params).rowcount == 1

    def _record(self, kind: str, params: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(FINISH[kind], params)

    def close(self) -> None:
        """Nothing to stop."""


class GroupCommitStore(DirectStore):
    """Claims and results from many threads, committed together by one writer thread.

    In one transaction the writer claims every queued row with a single UPDATE
    (``RETURNING`` tells which were won) and records the results with one
    ``executemany`` per kind of result.
    """

    def __init__(self, engine, max_batch: int = 500) -> None:
        super().__init__(engine)
        self.max_batch = max_batch
        self.returning = engine.dialect.update_returning
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="outbox-writer", daemon=True)
        self._thread.start()

    def _claim(self, params: dict) -> bool:
        """Queue the claim and wait until it is committed."""
        return self._wait(("claim", params))

    def _record(self, kind: str, params: dict) -> None:
        """Queue the result and wait until it is committed."""
        self._wait((kind, params))

    def _wait(self, item: tuple[str, dict]):
        future: Future = Future()
        self._queue.put((*item, future))
        return future.result()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list) -> None:
        """One transaction for the batch; if it fails, each item alone (one bad item fails alone)."""
        try:
            with self.engine.begin() as conn:
                results = self._apply(conn, batch)
        except Exception:
            for kind, params, future in batch:
                try:
                    future.set_result(self._alone(kind, params))
                except Exception as error:  # reported to the sending thread
                    future.set_exception(error)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    def _apply(self, conn, batch: list) -> list:
        """Claims first (one statement per worker), then results grouped by kind."""
        claims = [params for kind, params, _ in batch if kind == "claim"]
        won: set[int] = set()
        if claims and self.returning:
            for worker in {params["worker"] for params in claims}:
                ids = [params["row_id"] for params in claims if params["worker"] == worker]
                now = max(params["now"] for params in claims if params["worker"] == worker)
                won.update(conn.scalars(CLAIM_MANY, {"ids": ids, "worker": worker, "now": now}))
        elif claims:
            won = {params["row_id"] for params in claims if conn.execute(CLAIM, params).rowcount == 1}
        by_kind: dict[str, list[dict]] = {}
        for kind, params, _ in batch:
            if kind != "claim":
                by_kind.setdefault(kind, []).append(params)
        for kind, rows in by_kind.items():
            conn.execute(FINISH[kind], rows)
        # A row queued twice (dispatched twice to this pool) is won by its first claim only: one send.
        results, granted = [], set()
        for kind, params, _ in batch:
            if kind != "claim":
                results.append(None)
                continue
            first = params["row_id"] in won and params["row_id"] not in granted
            granted.add(params["row_id"])
            results.append(first)
        return results

    def _alone(self, kind: str, params: dict):
        if kind == "claim":
            return DirectStore._claim(self, params)
        return DirectStore._record(self, kind, params)

    def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout=30)
