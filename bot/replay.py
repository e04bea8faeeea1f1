"""Replay protection for WeChat pushes: a timestamp window and each (timestamp, nonce) once.

The URL ``signature`` covers only the token, the timestamp and the nonce, never
the body, so a signed triple copied from a log could carry any body. Two checks
close that: the timestamp must lie within the window around the service clock,
and a (timestamp, nonce) is accepted for one body only within that window. The
record holds a hash of the (decrypted) body, so WeChat's retry of the same
message with the same triple flows on to dedup, while a different body under a
used triple is refused. Redis ``SET NX`` with the window as lifetime holds the
record; when Redis is down the database's table of processed keys does.
"""

from __future__ import annotations

import datetime as dt
import hashlib

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


def claim_once(client: redis.Redis | None, session, timestamp: str, nonce: str, body: bytes,
               now: dt.datetime, window: int) -> None:
    """Accept (timestamp, nonce) for ``body`` once; raise :class:`Forbidden` for another body under it.

    The same body again (WeChat's retry) passes: dedup then gives it the first reply.
    """
    key = f"{PREFIX}{timestamp}:{nonce[:64]}"
    digest = body_digest(body)
    if client is not None:
        try:
            # Twice the window: a timestamp at the window's far edge stays recorded as long as it is accepted.
            if client.set(key, digest, nx=True, ex=2 * window):
                return
            stored = client.get(key)
            if stored is None or stored.decode() == digest:
                return
            raise Forbidden("timestamp and nonce already used for another body")
        except redis.RedisError:
            pass
    _claim_in_db(session, key, digest, now)


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
