"""gunicorn's settings for the web processes: ``make run``, the Docker image and production.

``gunicorn -c gunicorn.conf.py wsgi:app``. Values come from the environment where
an operator may want to change them (docs/deployment.md).
"""

import os
import sys

from gunicorn import glogging

from config.redaction import RedactingFilter

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8080')}")
# gevent, a greenlet per connection: a request reaches the app only once it has arrived whole, so slow
# clients hold no thread (issue 25); its header and body deadlines and the missing Server header: web_worker.py.
# WEB_WORKER_CLASS=gthread (with WEB_THREADS) only behind a proxy that buffers whole requests (docs/deployment.md).
worker_class = os.environ.get("WEB_WORKER_CLASS", "web_worker.Worker")
threads = int(os.environ.get("WEB_THREADS", "4"))  # gthread only; gevent ignores it
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "1000"))  # open connections per process
timeout = 30  # a worker silent this long is killed; the webhook itself answers within 1 s
graceful_timeout = 20
keepalive = 5  # must stay > 0: gunicorn applies the header deadline only on its keep-alive path
max_requests = 5000  # recycle workers now and then (memory), staggered so they never restart together
max_requests_jitter = 500
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# The path without its query string, and no referer: WeChat's signature, timestamp and nonce and the citizen's
# openid travel in the query, and must never reach a log (tests/app/test_access_log.py).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with entry-pass codes masked in the access and error logs (``/pass/***``):
    a logged code is a ticket (config/redaction.py; tests/app/test_access_log.py)."""

    def setup(self, cfg) -> None:  # noqa: ANN001
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.addFilter(_REDACT)


_REDACT = RedactingFilter()
logger_class = RedactingLogger

# The 1-second reply: web requests wait at most this long on the database (workers and the scheduler,
# started by the flask CLI, keep the longer defaults of config/settings.py).
for name, value in (("DB_STATEMENT_TIMEOUT_MS", "800"), ("DB_LOCK_TIMEOUT_MS", "500"),
                    ("DB_POOL_TIMEOUT_SECONDS", "1"), ("SQLITE_BUSY_TIMEOUT_SECONDS", "0.5")):
    os.environ.setdefault(name, value)


def on_starting(server) -> None:
    """Refuse to start on a bad setting, with the explanation alone (no traceback) and status 2."""
    from config.settings import SettingsError, load_settings

    try:
        load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        sys.exit(2)


def post_worker_init(worker) -> None:
    """The app is loaded: its modules, models and caches live as long as the worker, so take them out of
    the cyclic collector's reach; each full collection then walks only what requests create."""
    import gc

    gc.collect()
    gc.freeze()
