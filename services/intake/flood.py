"""The flood limit on what citizens post: suggestions, lecture questions, rating comments.

At most ``CITIZEN_POSTS_PER_HOUR`` of each kind per citizen (openid) in any hour,
counted across the chat and the citizens' pages: a moving window of the
``limits`` library in Redis, shared by every web process. Only a post that would
be stored counts: the services call :func:`check_post` after their own checks and
after recognising a WeChat retry (``source_key``) or a repeat, so neither a
refused text nor a retried message uses up the citizen's hour. Nothing else is
slowed. Without Redis (down, or not configured) the limit fails open: citizens
are never refused because the counter is away, and the outage is logged.
"""

from __future__ import annotations

import datetime as dt
import math
import threading

import redis
import structlog
from limits import RateLimitItemPerHour
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from services.calendar import clock

log = structlog.get_logger("intake.flood")

SUGGESTION = "suggestion"
QUESTION = "question"
RATING_COMMENT = "rating_comment"
KINDS = (SUGGESTION, QUESTION, RATING_COMMENT)
KEY_PREFIX = "zhengmin:flood"
SOCKET_TIMEOUT = 0.3  # as the app's own Redis client: a Redis outage never holds a reply

_lock = threading.Lock()
_limiter: MovingWindowRateLimiter | None = None
_item: RateLimitItemPerHour | None = None


class TooManyPosts(Exception):
    """The citizen posted ``limit`` of ``kind`` within the hour; ``retry_at`` (UTC) is when one more fits."""

    def __init__(self, kind: str, limit: int, retry_at: dt.datetime) -> None:
        super().__init__(kind)
        self.kind, self.limit, self.retry_at = kind, limit, retry_at


def storage_uri(redis_url: str) -> str:
    """The ``limits`` storage URI for the app's Redis URL (a unix socket is ``redis+unix://``)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def configure(redis_url: str | None, per_hour: int) -> None:
    """Count in the Redis at ``redis_url`` (the app factory's), at most ``per_hour`` a kind; ``None``: no limit."""
    global _limiter, _item
    with _lock:
        if not redis_url:
            _limiter, _item = None, None
            return
        storage = RedisStorage(storage_uri(redis_url), key_prefix=KEY_PREFIX, wrap_exceptions=True,
                               socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)
        _limiter, _item = MovingWindowRateLimiter(storage), RateLimitItemPerHour(per_hour)


def check_post(openid: str, kind: str, now: dt.datetime) -> None:
    """Count one post of ``kind`` by ``openid``; :class:`TooManyPosts` when the hour's allowance is used up.

    ``now`` is the business clock: the time the citizen is told is ``now`` plus the
    real seconds until the oldest post of the window leaves it.
    """
    limiter, item = _limiter, _item
    if limiter is None or item is None:
        return
    try:
        if limiter.hit(item, kind, openid):
            return
        reset_at = limiter.get_window_stats(item, kind, openid).reset_time
    except (StorageError, redis.RedisError, OSError) as exc:
        log.warning("flood.counter_unavailable", kind=kind, error=type(exc).__name__)
        return
    wait = max(0, math.ceil(reset_at - clock.wall_time().timestamp()))
    retry_at = clock.as_utc(now) + dt.timedelta(seconds=wait)
    # Shown to the minute: round up, so the citizen is never told a minute at which they are still refused.
    if retry_at.second or retry_at.microsecond:
        retry_at = retry_at.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    raise TooManyPosts(kind, item.amount, retry_at)
