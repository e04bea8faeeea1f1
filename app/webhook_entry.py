"""``POST /wechat`` straight to the webhook, beside Flask's request machinery.

WeChat's pushes are the service's hot path: after a mass send every follower may
write within minutes. The webhook needs the app context (settings, the database
session, Redis) but none of what Flask does for a page: URL matching, the
request context, the CSRF and login hooks, the cookie session, the pages'
security headers. Served from here, a push costs about 0.1 ms less CPU
(a sixth of its handling in process; ``bench/webhook.py`` measures the whole).

A push still gets what every request gets: a request id in the logs and the
``X-Request-ID`` header, its place in the ``webhook_seconds`` histogram, and an
error that escapes becomes a logged 500 (WeChat then retries), never a traceback
in the answer. Every other request, ``GET /wechat`` (the server check) included,
goes to Flask as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import structlog
from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from app import observability
from bot import webhook

PATH = "/wechat"
log = structlog.get_logger("webhook")


class WebhookEntry:
    """WSGI middleware in front of ``app.wsgi_app``: pushes to the webhook, the rest to Flask."""

    def __init__(self, app: Flask, flask_wsgi: Callable) -> None:
        self.app = app
        self.flask_wsgi = flask_wsgi

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != PATH:
            return self.flask_wsgi(environ, start_response)
        started = time.perf_counter()
        push = Request(environ)
        request_id = observability.bind_request_id(push.headers.get("X-Request-ID", ""))
        try:
            with self.app.app_context():
                answer = webhook.receive(push)
        except Exception:
            log.exception("webhook.unhandled")
            answer = webhook.Answer(500, "internal error")
        body = answer.body.encode()
        start_response(f"{answer.status} {HTTP_STATUS_CODES[answer.status]}", [
            ("Content-Type", answer.content_type), ("Content-Length", str(len(body))), ("X-Request-ID", request_id)])
        observability.webhook_answered(answer.status, time.perf_counter() - started)
        return [body]


def install(app: Flask) -> None:
    """Put the webhook's entry in front of the app."""
    app.wsgi_app = WebhookEntry(app, app.wsgi_app)
