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
cooperatively. What blocks without yielding holds the whole process, not one thread as under
gthread: CPU, and SQLite's busy wait on another process's write lock (the development stack;
production's PostgreSQL waits cooperatively).

It also drops gunicorn's ``Server`` header (the software a scanner would look up). gunicorn has
no setting for that, for the body read or for closing a connection after so many requests, so
this module alone uses gunicorn's internals (its response class, the request's body reader,
``must_close`` and ``req_number``); ``tests/reliability/test_slow_clients.py`` fails loudly when
an upgrade changes them.
"""

from __future__ import annotations

import contextlib
import io
import os

import gevent
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.body import LengthReader
from gunicorn.workers.ggevent import GeventWorker

HEADER_SECONDS = float(os.environ.get("WEB_HEADER_TIMEOUT_SECONDS", "5"))
BODY_SECONDS = float(os.environ.get("WEB_BODY_TIMEOUT_SECONDS", "10"))
MAX_BODY_BYTES = int(os.environ.get("WEB_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
KEEPALIVE_REQUESTS = int(os.environ.get("WEB_KEEPALIVE_REQUESTS", "100"))


class QuietResponse(gunicorn_wsgi.Response):
    """gunicorn's response without the ``Server`` header."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.lower().startswith("server:")]


def read_whole_body(req) -> str | None:
    """Read the request's body in full within ``BODY_SECONDS`` and hand it on from memory; the refusal's
    status line when it is too large or too slow (``None`` when the request may go on)."""
    reader = req.body.reader
    if isinstance(reader, LengthReader):
        if reader.length == 0:
            return None
        if reader.length > MAX_BODY_BYTES:
            return "413 Request Entity Too Large"
        wanted = reader.length
    else:  # chunked
        wanted = MAX_BODY_BYTES + 1
    body = None
    with gevent.Timeout(BODY_SECONDS, False):
        body = req.body.read(wanted)
    if body is None:
        return "408 Request Timeout"
    if len(body) > MAX_BODY_BYTES:
        return "413 Request Entity Too Large"
    req.body = io.BytesIO(body)  # wsgi.input; the parser reads what the app leaves from here, not the socket
    return None


def refuse(sock, status: str) -> None:
    """Answer before the app and close: the rest of the request is never read."""
    text = status.split(" ", 1)[1].encode()
    head = (f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n"
            "Connection: close\r\n\r\n").encode()
    with contextlib.suppress(OSError):
        sock.sendall(head + text)


class Worker(GeventWorker):
    """gunicorn's gevent worker with the header deadline, the whole-body read and no ``Server`` header."""

    def init_process(self) -> None:
        gunicorn_wsgi.Response = QuietResponse
        super().init_process()

    def timeout_ctx(self):
        """The deadline on a request's headers (gunicorn's gevent worker uses ``keepalive`` for it)."""
        return gevent.Timeout(HEADER_SECONDS, False)

    def handle_request(self, listener_name, req, sock, addr) -> bool:
        """One request, then a turn for the others; a connection's ``KEEPALIVE_REQUESTS``-th answer closes it.

        A kept-alive client that sends its next request at once would otherwise be read without the greenlet
        ever yielding, and the worker's other connections starve. And a connection stays with the process that
        accepted it: under a steady load one process held 47 of 64 kept-alive connections, the other 17, and
        its clients waited seconds (p99 under wrk). Closed now and then (announced with ``Connection: close``),
        connections come back to whichever process is free to accept them.
        """
        if req.req_number >= KEEPALIVE_REQUESTS:
            req.must_close = True
        refusal = read_whole_body(req)
        if refusal:
            refuse(sock, refusal)
            raise StopIteration  # gunicorn's connection loop closes the connection
        keep_alive = super().handle_request(listener_name, req, sock, addr)
        gevent.sleep(0)
        return keep_alive
