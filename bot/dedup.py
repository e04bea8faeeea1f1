"""Inbound dedup: WeChat retries a message up to 3 times; each copy gets the first reply.

The key (``MsgId`` for messages; ``FromUserName + CreateTime + Event + EventKey`` for events, since
MsgId alone has collided under load) is claimed with Redis ``SET NX EX``; the reply is then
stored under it. The claim itself lives only ``PENDING_SECONDS``, less than the
5 s WeChat waits before its next retry: if the process handling the first copy
dies (timeout, out of memory, a deploy), the retry finds the claim lapsed and is
handled afresh instead of being answered ``success`` and lost. A claim whose
handling failed is released at once. The webhook's other per-message Redis reads and writes ride
along in the same pipelines (one round trip before handling, one after). A copy that arrives while the first is still being handled
waits briefly for that reply. When Redis is down the database record of
processed keys takes over, and the side effects keep their own uniqueness.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import weakref
from collections.abc import Callable

import redis
from redis.client import Pipeline
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models import InboundMessage

PENDING = b"\x00pending"
PENDING_SECONDS = 4  # WeChat retries after about 5 s
WAIT_SECONDS = 0.8
POLL_SECONDS = 0.02


class OwnConnectionPipeline(Pipeline):
    """A pipeline (no MULTI) sent on a connection kept by the process, without a pool checkout per round trip.

    The webhook makes two round trips per push. Taking a connection from redis-py's pool and giving
    it back (a lock each way, a pid check, a poll of the socket for stray data) is about a third of a
    trip's CPU. The process keeps the connections it took instead, and a trip takes an idle one (or
    one more from the pool) and puts it back: as many as trips run at once, whether the web worker
    runs them on threads or on gevent's greenlets (a greenlet per HTTP connection: one Redis connection
    each would never go back). They stay checked out of their client's pool, so ``disconnect()`` of
    the pool still closes them, and a forked process opens its own. A trip that fails part-way leaves
    its connection closed (redis-py closes it on a timeout or a broken socket), so the next trip on it
    reconnects instead of reading the earlier trip's answers.
    """

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(client.connection_pool, client.response_callbacks, transaction=False, shard_hint=None)

    def execute(self, raise_on_error: bool = True) -> list:
        stack, self.command_stack = self.command_stack, []
        if not stack:
            return []
        idle = _idle_connections(self.connection_pool)
        try:
            conn = idle.pop()  # atomic for threads (the GIL) and greenlets alike
        except IndexError:
            conn = self.connection_pool.get_connection()
        try:
            return conn.retry.call_with_retry(lambda: self._execute_pipeline(conn, stack, raise_on_error),
                                              lambda error: conn.disconnect())
        except redis.ResponseError:
            raise  # every answer was read: the connection is clean
        except BaseException:
            conn.disconnect()
            raise
        finally:
            idle.append(conn)


_idle: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # pool -> (pid, its idle connections)
_idle_lock = threading.Lock()


def _idle_connections(pool) -> list:
    """The connections this process keeps for ``pool`` and no trip is using now."""
    pid = os.getpid()
    kept = _idle.get(pool)
    if kept is None or kept[0] != pid:
        with _idle_lock:
            kept = _idle.get(pool)
            if kept is None or kept[0] != pid:
                kept = _idle[pool] = (pid, [])
    return kept[1]


def message_key(fields: dict[str, str]) -> str:
    """The dedup key of a parsed message or event."""
    sender = fields.get("FromUserName", "")
    if fields.get("MsgType") == "event":
        parts = (sender, fields.get("CreateTime", ""), fields.get("Event", ""), fields.get("EventKey", ""))
        return "e:" + "|".join(parts)
    if fields.get("MsgId"):
        return f"m:{sender}|{fields['MsgId']}"
    return "m:" + "|".join((sender, fields.get("CreateTime", ""), fields.get("MsgType", "")))


class Deduplicator:
    """Claims keys and remembers replies, in Redis or (fallback) in the database."""

    def __init__(self, client: redis.Redis | None, session, ttl: int) -> None:
        self.client = client
        self.session = session
        self.ttl = ttl
        self.redis_ok = client is not None

    def claim_and_read(self, key: str, openid: str, now, reads: tuple[str, ...] = (),
                       guard=None) -> tuple[bool, str | None, list]:
        """Claim ``key``: ``(True, None, values)`` if this copy should be handled, ``(False, reply, values)``
        for a duplicate, with a ``GET`` of each key in ``reads`` in the same round trip.

        ``guard`` (a :class:`bot.replay.Claim`) rides along first; when it refuses the push, the
        claim is released and its :class:`~bot.crypto.Forbidden` raised. The values are ``None``
        when Redis is unavailable (check :attr:`redis_ok`).
        """
        if self.redis_ok:
            try:
                pipe = OwnConnectionPipeline(self.client)
                if guard is not None:
                    guard.stage(pipe)
                pipe.set("dedup:" + key, PENDING, nx=True, ex=PENDING_SECONDS)
                for name in reads:
                    pipe.get(name)
                results = pipe.execute()
                if guard is not None:
                    self._settle(guard, key, results.pop(0), results[0])
                claimed, *values = results
                if claimed:
                    return True, None, values
                return False, self._wait(lambda: self._redis_reply(key)), values
            except redis.RedisError:
                self.redis_ok = False
        if guard is not None:
            guard.in_db(self.session, now)
        first, reply = self._claim_in_db(key, openid, now)
        return first, reply, [None] * len(reads)

    def _settle(self, guard, key: str, guarded, claimed) -> None:
        try:
            guard.settle(self.client, guarded)
        except Exception:
            if claimed:
                self.client.delete("dedup:" + key)
            raise

    def remember(self, key: str, reply: str, writes: tuple[Callable[[object], object], ...] = ()) -> bool:
        """Store the reply for later copies, with ``writes`` (each adds commands to the pipeline) in the
        same round trip. False when Redis failed: the reply went to the database, the writes nowhere."""
        if self.redis_ok:
            try:
                pipe = OwnConnectionPipeline(self.client)
                pipe.set("dedup:" + key, reply.encode(), ex=self.ttl)
                for write in writes:
                    write(pipe)
                pipe.execute()
                return True
            except redis.RedisError:
                self.redis_ok = False
        try:
            row = self.session.scalar(select(InboundMessage).where(InboundMessage.key == key))
            if row is not None:
                row.reply = reply
                self.session.commit()
        except SQLAlchemyError:
            self.session.rollback()
        return False

    def release(self, key: str) -> None:
        """Forget a claim whose handling failed, so WeChat's retry is handled afresh."""
        if self.redis_ok:
            try:
                self.client.delete("dedup:" + key)
                return
            except redis.RedisError:
                self.redis_ok = False
        try:
            self.session.execute(delete(InboundMessage).where(InboundMessage.key == key,
                                                              InboundMessage.reply.is_(None)))
            self.session.commit()
        except SQLAlchemyError:
            self.session.rollback()

    def _redis_reply(self, key: str) -> str | None:
        value = self.client.get("dedup:" + key)
        if value is None or value == PENDING:
            return None
        return value.decode()

    def _claim_in_db(self, key: str, openid: str, now) -> tuple[bool, str | None]:
        try:
            self.session.add(InboundMessage(key=key, openid=openid, received_at=now))
            self.session.commit()
            return True, None
        except IntegrityError:
            self.session.rollback()
        # A claim without a reply older than PENDING_SECONDS was left by a process that died: take it over.
        lapsed = self.session.execute(
            update(InboundMessage)
            .where(InboundMessage.key == key, InboundMessage.reply.is_(None),
                   InboundMessage.received_at < now - dt.timedelta(seconds=PENDING_SECONDS))
            .values(received_at=now)
        )
        self.session.commit()
        if lapsed.rowcount == 1:
            return True, None
        return False, self._wait(lambda: self._db_reply(key))

    def _db_reply(self, key: str) -> str | None:
        self.session.expire_all()
        return self.session.scalar(select(InboundMessage.reply).where(InboundMessage.key == key))

    @staticmethod
    def _wait(read: Callable[[], str | None]) -> str | None:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            reply = read()
            if reply is not None or time.monotonic() >= deadline:
                return reply
            time.sleep(POLL_SECONDS)
