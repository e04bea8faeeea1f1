"""Request ids, security headers and ``/metrics`` (Prometheus).

Every request gets an id (``X-Request-ID`` from the load balancer, or a new one)
bound into structlog's context, so one webhook call can be followed through the
logs; openids appear only hashed. ``/metrics`` (behind ``METRICS_TOKEN``) exposes webhook latency, dedup
hits, the citizens' interaction notes waiting to be written, and from the database the outbox depth
and delivery outcomes by reason.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

import redis
import structlog
from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics as bot_metrics
from services.participation import interactions

REGISTRY = CollectorRegistry(auto_describe=True)
WEBHOOK_LATENCY = Histogram(
    "webhook_seconds", "Time to answer a WeChat push", ["outcome"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
OUTBOX_DEPTH = Gauge("outbox_messages", "Outbox rows by status", ["status"], registry=REGISTRY)
INTERACTIONS_PENDING = Gauge("citizen_interactions_pending",
                             "Citizens' interaction notes waiting for the scheduler to write them", registry=REGISTRY)
POSSIBLY_RESENT = Gauge("outbox_possibly_resent",
                        "Messages that may have reached a citizen twice (a worker died or a call timed out mid-send)",
                        registry=REGISTRY)
DELIVERY_OUTCOMES = Gauge("outbox_failures", "Final or pending failures by WeChat error code", ["code"], registry=REGISTRY)
for _collector in bot_metrics.COLLECTORS:  # the webhook's own metrics, on the same page
    REGISTRY.register(_collector)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'"
    ),
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
}


def init_app(app: Flask) -> None:
    """Install the request hooks and the ``/metrics`` route."""
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", _metrics)


def bind_request_id(header: str) -> str:
    """The request's id (the load balancer's ``X-Request-ID``, or a new one), bound into the logs' context."""
    request_id = header[:64] or secrets.token_hex(8)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id


_ANSWERED_OK = WEBHOOK_LATENCY.labels("ok")  # nearly every push: the labelled child looked up once


def webhook_answered(status: int, seconds: float) -> None:
    """Count one answer to a WeChat push in the latency histogram."""
    (_ANSWERED_OK if status == 200 else WEBHOOK_LATENCY.labels(str(status))).observe(seconds)


def _start() -> None:
    g.request_id = bind_request_id(request.headers.get("X-Request-ID", ""))


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    _simulator_framing(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _simulator_framing(response: Response) -> None:
    """Development only: the phone simulator shows the citizen's pages in its in-app browser panel.

    The panel (an iframe on /simulator) opens the emulator, which sets who holds the
    phone and redirects to the service's page; so the simulator may frame the
    emulator, and the public pages may be framed by this site. Production never
    mounts the simulator, and keeps ``frame-ancestors 'none'``.
    """
    if not current_app.extensions["settings"].simulator_on or request.blueprint not in ("public", "simulator"):
        return
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    if request.blueprint == "public":
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        policy = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    else:
        settings = current_app.extensions["settings"]
        origins = sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, (settings.WECHAT_API_BASE,
                                                                          settings.WECHAT_OAUTH_BASE))})
        policy += "; frame-src 'self' " + " ".join(origins)
    response.headers["Content-Security-Policy"] = policy


def metrics_allowed() -> bool:
    """``/metrics`` (and the details of ``/healthz`` and ``/readyz``) needs ``Authorization: Bearer <METRICS_TOKEN>`` when a token is set (always in production)."""
    settings = current_app.extensions["settings"]
    if not settings.METRICS_TOKEN:
        return settings.APP_ENV != "production"
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), settings.METRICS_TOKEN.encode())


def _metrics() -> Response:
    from models import OutboxMessage, db

    if not metrics_allowed():
        return Response("unauthorized", 401, mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})

    try:
        for status, count in db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
            OUTBOX_DEPTH.labels(str(getattr(status, "value", status))).set(count)
        rows = db.session.execute(
            select(OutboxMessage.last_error_code, func.count())
            .where(OutboxMessage.last_error_code.is_not(None)).group_by(OutboxMessage.last_error_code)
        )
        for code, count in rows:
            DELIVERY_OUTCOMES.labels(str(code)).set(count)
        POSSIBLY_RESENT.set(db.session.scalar(
            select(func.count()).where(OutboxMessage.possibly_resent.is_(True))) or 0)
    except SQLAlchemyError:
        db.session.rollback()
    try:
        INTERACTIONS_PENDING.set(interactions.pending_count(current_app.extensions["redis"]))
    except (redis.RedisError, AttributeError):
        pass  # Redis down (or none): the gauge keeps its last value
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)
