"""Replay protection for WeChat pushes: a timestamp window and each (timestamp, nonce) once.

The URL ``signature`` covers only the token, the timestamp and the nonce, never
the body, so a signed triple copied from a log could carry any body. Two checks
close that: the timestamp must lie within the window around the real time
(``clock.wall_time()``: WeChat signs with it, whatever ``CLOCK_NOW`` does to the
business clock), and a (timestamp, nonce) is accepted for one body only within that window. The
record holds a hash of the (decrypted) body, so WeChat's retry of the same
message with the same triple flows on to dedup, while a different body under a
used triple is refused. Redis ``SET NX`` with the window as lifetime holds the
record; when Redis is down the database's table of processed keys does.
The webhook sends its :class:`Claim` in the pipeline of its dedup claim, so the
check costs no round trip of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.crypto import Forbidden
from models import InboundMessage

PREFIX = "wx-nonce:"


def check_timestamp(timestamp: str, now: dt.datetime, window: int) -> None:
    """Raise :class:`Forbidden` unless ``timestamp`` (Unix seconds) is within ``window`` seconds of ``now``."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        raise Forbidden("timestamp is not a number") from None
    if abs(now.timestamp() - moment) > window:
        raise Forbidden("timestamp outside the window")


def body_digest(body: bytes) -> str:
    """The hash that binds a (timestamp, nonce) to one body."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Claim:
    """One (timestamp, nonce) claimed for one body: staged in a Redis pipeline, or settled in the database."""

    key: str
    digest: str
    ttl: int

    @classmethod
    def of(cls, timestamp: str, nonce: str, body: bytes, window: int) -> Claim:
        # Twice the window: a timestamp at the window's far edge stays recorded as long as it is accepted.
        return cls(f"{PREFIX}{timestamp}:{nonce[:64]}", body_digest(body), 2 * window)

    def stage(self, pipe) -> None:
        """Add the ``SET NX`` to ``pipe``; its result goes to :meth:`settle`."""
        pipe.set(self.key, self.digest, nx=True, ex=self.ttl)

    def settle(self, client: redis.Redis, claimed) -> None:
        """After the pipeline: a refused ``SET NX`` passes only for the same body (WeChat's retry)."""
        if claimed:
            return
        stored = client.get(self.key)
        if stored is not None and stored.decode() != self.digest:
            raise Forbidden("timestamp and nonce already used for another body")

    def in_db(self, session, now: dt.datetime) -> None:
        """The fallback when Redis is down."""
        _claim_in_db(session, self.key, self.digest, now)


def claim_once(client: redis.Redis | None, session, claim: Claim, now: dt.datetime) -> None:
    """Accept ``claim`` (a (timestamp, nonce) for one body) once; :class:`Forbidden` for another body under it.

    The same body again (WeChat's retry) passes: dedup then gives it the first reply.
    """
    if client is not None:
        try:
            claim.settle(client, client.set(claim.key, claim.digest, nx=True, ex=claim.ttl))
            return
        except redis.RedisError:
            pass
    claim.in_db(session, now)


def _claim_in_db(session, key: str, digest: str, now: dt.datetime) -> None:
    """The fallback record: a row of the processed-keys table whose ``reply`` holds the body hash."""
    try:
        session.add(InboundMessage(key=key, openid="", received_at=now, reply=digest))
        session.commit()
        return
    except IntegrityError:
        session.rollback()
    except SQLAlchemyError:
        # Neither store answers: the signature and the window still hold; dedup will answer politely.
        session.rollback()
        return
    stored = session.scalar(select(InboundMessage.reply).where(InboundMessage.key == key))
    if stored != digest:
        raise Forbidden("timestamp and nonce already used for another body")
