"""The delivery hot path's database writes: claim a row, record its result.

Both are single UPDATE statements built once (compiling a fresh statement per
message costs more CPU than the send). Two stores run them:

* :class:`DirectStore` — one transaction per statement; for one-at-a-time use.
* :class:`GroupCommitStore` — the sending threads of a worker hand their
  statements to one writer thread, which runs whatever has piled up in one
  transaction and then wakes every waiting thread. Each thread still waits
  until its own claim or result is committed, so nothing about the
  exactly-once window changes; but a worker makes a few commits a second
  instead of two per message, and SQLite's single writer lock (whose busy
  waits sleep in steps of milliseconds) stops being the bottleneck.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from concurrent.futures import Future

from sqlalchemy import bindparam, or_, select, update

from models import Citizen, OutboxMessage, OutboxStatus

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

    def execute(self, statement, params: dict) -> int:
        """Run one statement and commit; the number of rows it changed."""
        with self.engine.begin() as conn:
            return conn.execute(statement, params).rowcount

    def close(self) -> None:
        """Nothing to stop."""


class GroupCommitStore(DirectStore):
    """Statements from many threads, committed together by one writer thread."""

    def __init__(self, engine, max_batch: int = 500) -> None:
        super().__init__(engine)
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="outbox-writer", daemon=True)
        self._thread.start()

    def execute(self, statement, params: dict) -> int:
        """Queue the statement and wait until it is committed; rows changed."""
        future: Future = Future()
        self._queue.put((statement, params, future))
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
        """One transaction for the batch; if it fails, each statement alone (one bad one fails alone)."""
        try:
            with self.engine.begin() as conn:
                counts = [conn.execute(statement, params).rowcount for statement, params, _ in batch]
        except Exception:
            for statement, params, future in batch:
                try:
                    future.set_result(DirectStore.execute(self, statement, params))
                except Exception as error:  # reported to the sending thread
                    future.set_exception(error)
            return
        for (_, _, future), count in zip(batch, counts, strict=True):
            future.set_result(count)

    def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout=30)
