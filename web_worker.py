"""gunicorn's worker for the web processes: gevent, with a deadline on reading each request.

``gunicorn.conf.py`` names it (``worker_class``). A thread per connection (``gthread``) is held
from the moment the connection opens: 48 clients that send their headers one line every two
seconds held all 2 × 4 threads, and WeChat's pushes and the liveness probe waited behind them
(issue 25). Here each connection is a greenlet that costs a few kilobytes while it waits, and
the request reaches the app only once it has arrived whole:

* the headers must be in within ``WEB_HEADER_TIMEOUT_SECONDS`` (5 s; also the idle time of a
  kept-alive connection), else the connection is closed;
* a body (up to ``WEB_MAX_BODY_BYTES``, 2 MiB; more is refused with 413: no page or push of this
  service is that large) is read in full within ``WEB_BODY_TIMEOUT_SECONDS`` (10 s) before the app
  is called, else the client gets 408 and the connection is closed.

It is not imported by the service (no room imports it): gunicorn's master loads it before the
fork, so it imports gunicorn and gevent only; the app and its libraries (psycopg, redis-py,
SQLAlchemy) are imported in the worker after gevent's monkey patching, and psycopg then waits
cooperatively. Python code that blocks without I/O (SQLite's busy wait, CPU) still holds the
whole worker, as a gthread worker's GIL did.

It also drops gunicorn's ``Server`` header (the software a scanner would look up): gunicorn has
no setting for it, so the worker installs a response class without it, the one use of gunicorn's
internals in the project (``tests/reliability/test_slow_clients.py`` fails loudly on an upgrade).
"""

from __future__ import annotations

import io
import os

import gevent
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.workers.ggevent import GeventWorker

HEADER_SECONDS = float(os.environ.get("WEB_HEADER_TIMEOUT_SECONDS", "5"))
BODY_SECONDS = float(os.environ.get("WEB_BODY_TIMEOUT_SECONDS", "10"))
MAX_BODY_BYTES = int(os.environ.get("WEB_MAX_BODY_BYTES", str(2 * 1024 * 1024)))


class QuietResponse(gunicorn_wsgi.Response):
    """gunicorn's response without the ``Server`` header."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.lower().startswith("server:")]


class WholeRequest:
    """WSGI middleware: read the body in full, within its deadline, before the app sees the request."""

    def __init__(self, app, seconds: float = BODY_SECONDS, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.seconds = seconds
        self.limit = limit

    def __call__(self, environ: dict, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH") or "0"
        declared = int(length) if length.isdigit() else 0
        if not chunked and declared == 0:
            return self.app(environ, start_response)
        if declared > self.limit:
            return _refuse(start_response, "413 Request Entity Too Large")
        body = None
        with gevent.Timeout(self.seconds, False):
            body = environ["wsgi.input"].read(self.limit + 1 if chunked else declared)
        if body is None:
            return _refuse(start_response, "408 Request Timeout")
        if len(body) > self.limit:
            return _refuse(start_response, "413 Request Entity Too Large")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _refuse(start_response, status: str) -> list[bytes]:
    """An answer before the app, on a connection that is closed after it (its stream is not read to the end)."""
    body = status.split(" ", 1)[1].encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                            ("Connection", "close")])
    return [body]


class Worker(GeventWorker):
    """gunicorn's gevent worker with the header deadline, the whole-body read and no ``Server`` header."""

    def init_process(self) -> None:
        gunicorn_wsgi.Response = QuietResponse
        super().init_process()

    def timeout_ctx(self):
        """The deadline on a request's headers (gunicorn's gevent worker uses ``keepalive`` for it)."""
        return gevent.Timeout(HEADER_SECONDS, False)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = WholeRequest(self.wsgi)
