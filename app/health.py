"""Health for people and for orchestrators.

* ``GET /healthz``: database, Redis, scheduler and calendar status as JSON (for people and dashboards).
  The details (backends, error kinds, queue sizes) need the metrics token (``Authorization: Bearer
  <METRICS_TOKEN>``, as ``/metrics``); without it, the bare status and the same HTTP status code.
* ``GET /livez``: liveness: the process answers (restart it when this fails); touches nothing else.
* ``GET /readyz``: readiness: the database, Redis and the working-day calendar answer, each with its
  latency; 503 when one does not (take the process out of the load balancer, do not restart it).
"""

from __future__ import annotations

import time

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import observability
from models import db
from services.calendar import clock, workdays
from services.participation import interactions

bp = Blueprint("health", __name__)

SCHEDULER_HEARTBEAT_KEY = "scheduler:heartbeat"
SCHEDULER_STALE_SECONDS = 180
INTERACTIONS_STALE_SECONDS = 60  # the scheduler writes them every few seconds


@bp.get("/healthz")
def healthz():
    """Overall status; 503 when the database is unreachable."""
    database = _database()
    report = {
        "database": database,
        "redis": _redis(),
        "scheduler": _scheduler(),
        "interactions": _interactions(),
        "calendar": _calendar(),
    }
    healthy = database["ok"]
    report["status"] = "ok" if healthy and report["redis"]["ok"] else ("degraded" if healthy else "down")
    return _shown(report), (200 if healthy else 503)


@bp.get("/livez")
def livez():
    """Liveness: this process can answer a request."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: everything a request needs answers now."""
    checks = {"database": _database(), "redis": _redis(), "calendar": _calendar_loaded()}
    ready = all(check["ok"] for check in checks.values())
    return _shown({"status": "ready" if ready else "not_ready", **checks}), (200 if ready else 503)


def _shown(report: dict):
    """The whole report for the holder of the metrics token, the bare status for anyone else."""
    return jsonify(report if observability.metrics_allowed() else {"status": report["status"]})


def _calendar_loaded() -> dict:
    """The working-day calendar is loaded (a year's missing schedule is a warning on /healthz, not unready)."""
    started = time.perf_counter()
    try:
        workdays.default_calendar()
    except Exception as exc:  # the readiness answer must report, not fail
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}
    return {"ok": True, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> dict:
    try:
        started = time.perf_counter()
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return {"ok": True, "backend": db.engine.dialect.name, "ms": _ms(started)}
    except SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__, "message": "数据库无法连接"}


def _redis() -> dict:
    client = current_app.extensions.get("redis")
    started = time.perf_counter()
    try:
        client.ping()
        return {"ok": True, "ms": _ms(started)}
    except (redis.RedisError, OSError, AttributeError) as exc:
        return {"ok": False, "error": type(exc).__name__, "message": "Redis 无法连接：对话状态和去重暂时改用数据库"}


def _scheduler() -> dict:
    client = current_app.extensions.get("redis")
    try:
        beat = client.get(SCHEDULER_HEARTBEAT_KEY)
    except (redis.RedisError, OSError, AttributeError):
        return {"ok": False, "status": "unknown"}
    if beat is None:
        return {"ok": False, "status": "not_running", "message": "调度进程未运行"}
    age = clock.now().timestamp() - float(beat)
    stale = age > SCHEDULER_STALE_SECONDS
    return {"ok": not stale, "status": "stale" if stale else "running", "last_beat_seconds_ago": round(age)}


def _interactions() -> dict:
    """The citizens' interaction times waiting in Redis for the scheduler (docs/delivery.md)."""
    client = current_app.extensions.get("redis")
    try:
        waiting = interactions.pending_count(client)
        oldest = interactions.oldest_pending(client, clock.now())
    except (redis.RedisError, OSError, AttributeError):
        return {"ok": False, "status": "unknown"}
    stale = oldest is not None and oldest > INTERACTIONS_STALE_SECONDS
    report = {"ok": not stale, "waiting": waiting, "oldest_seconds": None if oldest is None else round(oldest)}
    if stale:
        report["message"] = "市民互动时间积压未写入数据库：请检查调度进程（客服消息窗口以 Redis 中的记录为准，不受影响）"
    return report


def _calendar() -> dict:
    try:
        return workdays.calendar_health(clock.today_local())
    except Exception as exc:  # the health page must report, not fail
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}
