"""Delivering outbox rows exactly once, as far as WeChat allows.

One row's life: ``pending`` → (claimed by a worker) ``sending`` → ``sent`` /
``failed`` (final), or back to ``pending`` with ``next_attempt_at`` after a
temporary failure (exponential back-off with jitter, at most
``DELIVERY_MAX_ATTEMPTS`` attempts).

The claim and the in-flight mark are one committed UPDATE made just before
the API call (``status='sending'``, ``claimed_by``, ``in_flight_since``); the
result is committed right after the call. A worker killed in between leaves
the row ``sending`` under its name; when its heartbeat has expired,
:func:`recover_abandoned` puts the row back to ``pending`` with
``possibly_resent`` set, because the call may have reached WeChat: that row,
and only such a row, may be sent twice (docs/delivery.md, "exactly once").
Template messages carry a ``client_msg_id`` and mass sends a ``clientmsgid``,
so WeChat itself ignores those repeats (10 minutes and 24 hours).

The hot path (:func:`deliver`) uses prepared SQL statements through a store
(:mod:`services.messaging.outbox_store`) and no ORM objects, so that a worker's threads
share no session. Staff-facing helpers at the end take a session like every
other service.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlalchemy import and_, bindparam, func, or_, select, update

from models import OutboxMessage, OutboxStatus, run
from services.calendar import clock
from services.messaging import channels, delivery_texts, outbox_store
from services.messaging.channels import ChannelConfig

OUTBOX = OutboxMessage.__table__
PENDING, SENDING, SENT, FAILED, CANCELLED = (s.value for s in (
    OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED))


DEFER_SECONDS = 5.0  # the wait before a row given back for an infrastructure error is tried again


class NotRetryable(ValueError):
    """Only a message that finally failed (or was cancelled) can be sent again by staff."""


@dataclass(frozen=True)
class DeliveryConfig:
    """Channels and the retry policy, from the settings."""

    channels: ChannelConfig
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_max: float = 900.0

    @classmethod
    def from_settings(cls, settings) -> DeliveryConfig:
        """``DELIVERY_MAX_ATTEMPTS``, ``DELIVERY_BACKOFF_BASE``, ``DELIVERY_BACKOFF_MAX`` and the channels."""
        return cls(ChannelConfig.from_settings(settings), settings.DELIVERY_MAX_ATTEMPTS,
                   settings.DELIVERY_BACKOFF_BASE, settings.DELIVERY_BACKOFF_MAX)


@dataclass(frozen=True)
class Row:
    """What delivering one row needs, read in one query for a whole batch."""

    id: int
    key: str
    recipient: str
    channel: str
    payload: dict
    attempts: int
    last_interaction_at: dt.datetime | None


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one row: ``sent``, ``retry``, ``failed``, ``deferred`` (our infrastructure failed
    before the call; the attempt does not count) or ``skipped`` (not claimable)."""

    id: int
    result: str
    channel: str = ""
    code: int | None = None
    msgid: str = ""


def backoff_delay(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt: exponential, capped, with "equal jitter" (half fixed, half random)."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


# --- the hot path -----------------------------------------------------------------------------


def load_rows(engine, ids: Iterable[int],
              noted: Callable[[set[str]], dict[str, dt.datetime]] | None = None) -> list[Row]:
    """The pending rows among ``ids`` with the recipient's last interaction (48-hour window).

    ``noted`` gives the interactions the webhook noted that may not be written yet
    (``services.participation.interactions.noted_seen``); the later time counts.
    """
    rows = [Row(*values) for values in outbox_store.load_rows(engine, ids)]
    latest = noted({row.recipient for row in rows}) if noted is not None and rows else {}
    return [replace(row, last_interaction_at=latest[row.recipient])
            if row.recipient in latest and (row.last_interaction_at is None
                                            or latest[row.recipient] > row.last_interaction_at) else row
            for row in rows]


def claim(store, row_id: int, worker: str, now: dt.datetime) -> bool:
    """Take the row for this worker and mark it in flight, committed before the call."""
    return store.claim(row_id, worker, now)


def _finish(store, status: str, row_id: int, worker: str, **values) -> None:
    """Record the result (committed), unless the row was taken away from this worker meanwhile."""
    store.finish(status, row_id, worker, **values)


def deliver(store, client, cfg: DeliveryConfig, row: Row, worker: str,
            now_fn: Callable[[], dt.datetime] = clock.now, rng: random.Random | None = None) -> DeliveryResult:
    """Claim one row, send it through the first channel that works, record the result.

    ``store`` runs the two statements (:mod:`services.messaging.outbox_store`); an ``Engine`` is
    accepted too and gets a :class:`~services.messaging.outbox_store.DirectStore`.
    """
    if not hasattr(store, "claim"):
        store = outbox_store.DirectStore(store)
    now = now_fn()
    if not claim(store, row.id, worker, now):
        return DeliveryResult(row.id, "skipped")
    attempts = row.attempts + 1
    plan = channels.plan(row.channel, row.payload, row.last_interaction_at, now, cfg.channels)
    if not plan:
        _finish(store, FAILED, row.id, worker, code=None, reason=delivery_texts.NO_CHANNEL, maybe=False, now=now)
        return DeliveryResult(row.id, "failed")
    failure, maybe_delivered = None, False
    for channel in plan:
        try:
            msgid = channels.send(client, channel, row.recipient, row.payload, row.key, cfg.channels, now)
        except Exception as error:  # every failure is classified, none escapes the worker
            failure = channels.classify(error, channel)
            maybe_delivered |= failure.maybe_delivered
            if failure.action == channels.SENT:
                return _sent(store, row, worker, channel, failure.msgid, now_fn())
            if failure.action == channels.NEXT:
                continue
            break
        else:
            return _sent(store, row, worker, channel, msgid, now_fn())
    return _failed(store, cfg, row, worker, failure, attempts, maybe_delivered, now_fn(), rng)


def _sent(store, row: Row, worker: str, channel: str, msgid: str, now: dt.datetime) -> DeliveryResult:
    _finish(store, SENT, row.id, worker, via=channel, msgid=msgid, now=now)
    return DeliveryResult(row.id, "sent", channel, msgid=msgid)


def _failed(store, cfg: DeliveryConfig, row: Row, worker: str, failure: channels.Failure, attempts: int,
            maybe_delivered: bool, now: dt.datetime, rng: random.Random | None) -> DeliveryResult:
    """Retry later with back-off, or give up with the reason staff will read."""
    action = failure.action
    if action == channels.DEFER:
        return _deferred(store, row, worker, maybe_delivered, now, rng)
    if action == channels.NEXT:
        action = channels.when_no_channel_left(failure)
    reason = delivery_texts.reason(failure.code, failure.message)
    values = {"code": failure.code, "maybe": maybe_delivered, "now": now}
    if action == channels.RETRY and attempts < cfg.max_attempts:
        delay = backoff_delay(attempts, cfg.backoff_base, cfg.backoff_max, rng)
        note = delivery_texts.MAYBE_DELIVERED if maybe_delivered else delivery_texts.RETRYING.format(delay=round(delay))
        _finish(store, PENDING, row.id, worker, next_at=now + dt.timedelta(seconds=delay),
                reason=f"{reason}；{note}", **values)
        return DeliveryResult(row.id, "retry", code=failure.code)
    if action == channels.RETRY:
        reason = f"{reason}；{delivery_texts.TOO_MANY_ATTEMPTS.format(attempts=attempts)}"
    _finish(store, FAILED, row.id, worker, reason=reason, **values)
    return DeliveryResult(row.id, "failed", code=failure.code)


def _deferred(store, row: Row, worker: str, maybe_delivered: bool, now: dt.datetime,
              rng: random.Random | None) -> DeliveryResult:
    """Our infrastructure failed before the call (Redis away): give the row back, the attempt uncounted.

    Never final, however long the outage: the next attempt waits a few seconds (with jitter, so a
    returning Redis is not hit by every row at once) and the scheduler queues the row again.
    """
    delay = DEFER_SECONDS / 2 + (rng or random).uniform(0, DEFER_SECONDS / 2)
    _finish(store, outbox_store.DEFERRED, row.id, worker, next_at=now + dt.timedelta(seconds=delay),
            reason=delivery_texts.INFRASTRUCTURE, maybe=maybe_delivered, now=now)
    return DeliveryResult(row.id, "deferred")


# --- recovery and dispatch (the scheduler) ----------------------------------------------------


def recover_abandoned(session, is_alive: Callable[[str], bool], now: dt.datetime, max_attempts: int) -> int:
    """Put rows of dead workers back to ``pending`` (``possibly_resent``); returns how many."""
    workers = set(session.scalars(select(OUTBOX.c.claimed_by).where(OUTBOX.c.status == SENDING).distinct()))
    dead = [worker for worker in workers if not is_alive(worker)]
    if not dead:
        return 0
    stuck = and_(OUTBOX.c.status == SENDING, OUTBOX.c.claimed_by.in_(dead))
    common = {"claimed_by": "", "queue_job": "", "in_flight_since": None, "possibly_resent": True,
              "updated_at": now}
    failed = session.execute(
        update(OUTBOX).where(stuck, OUTBOX.c.attempts >= max_attempts).values(
            status=FAILED, last_error=f"{delivery_texts.RECOVERED}；{delivery_texts.TOO_MANY_ATTEMPTS.format(attempts=max_attempts)}",
            **common)
    ).rowcount
    requeued = session.execute(
        update(OUTBOX).where(stuck).values(status=PENDING, next_attempt_at=None, last_error=delivery_texts.RECOVERED,
                                           **common)
    ).rowcount
    return failed + requeued


def dispatchable(session, now: dt.datetime, job_alive: Callable[[str], bool], limit: int = 20000) -> list[int]:
    """Due pending rows not held by a live queue job, oldest first."""
    due = and_(OUTBOX.c.status == PENDING, OUTBOX.c.due_at <= now,
               or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now))
    jobs = session.scalars(select(OUTBOX.c.queue_job).where(due, OUTBOX.c.queue_job != "").distinct()).all()
    lost = [job for job in jobs if not job_alive(job)]
    free = OUTBOX.c.queue_job == ""
    if lost:
        free = or_(free, OUTBOX.c.queue_job.in_(lost))
    query = select(OUTBOX.c.id).where(due, free).order_by(OUTBOX.c.due_at, OUTBOX.c.id).limit(limit)
    return list(session.scalars(query))


def mark_queued(session, ids: list[int], job_id: str) -> None:
    """Remember which queue job carries these rows."""
    session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == PENDING)
                    .values(queue_job=job_id))


# --- delivery reports (webhook events) ---------------------------------------------------------


# Built once (models.run): a report comes for every template message sent.
_DELIVERED = (update(OUTBOX).where(OUTBOX.c.wechat_msgid == bindparam("msgid"))
              .values(delivery_status=bindparam("reported"), updated_at=bindparam("now")))


def record_delivery_status(session, msgid: str, status: str, now: dt.datetime) -> int:
    """Store WeChat's delivery report (``TEMPLATESENDJOBFINISH``/``MASSSENDJOBFINISH``) by message id."""
    if not msgid:
        return 0
    return run(session, _DELIVERED, msgid=str(msgid), reported=(status or "")[:40], now=now).rowcount


# --- for staff (console) -----------------------------------------------------------------------


def failures(session, purpose: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    """Messages that finally failed, newest first, each with ``last_error`` (the reason) and code."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    return list(session.scalars(query.order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
                                .limit(limit)))


def counts(session) -> dict[str, int]:
    """Rows by status, plus ``retrying`` (pending after a failure) and ``possibly_resent``."""
    result = {status.value: 0 for status in OutboxStatus}
    for status, count in session.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)):
        result[str(status)] = count
    result["retrying"] = session.scalar(select(func.count()).where(
        OUTBOX.c.status == PENDING, OUTBOX.c.last_error_code.is_not(None))) or 0
    result["possibly_resent"] = session.scalar(select(func.count()).where(OUTBOX.c.possibly_resent.is_(True))) or 0
    return result


def retry(session, message_id: int, now: dt.datetime) -> OutboxMessage:
    """Send a failed (or cancelled) message again, e.g. after the citizen followed again."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(message_id)
    if message.status not in (OutboxStatus.FAILED, OutboxStatus.CANCELLED):
        raise NotRetryable("只有发送失败或已取消的消息可以重新发送")
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.PENDING, 0, None
    message.queue_job, message.claimed_by, message.due_at, message.updated_at = "", "", now, now
    return message


def cancel(session, message_id: int, now: dt.datetime) -> OutboxMessage:
    """Withdraw a message that has not been sent yet."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(message_id)
    if message.status != OutboxStatus.PENDING:
        raise NotRetryable("只有等待发送的消息可以取消")
    message.status, message.updated_at = OutboxStatus.CANCELLED, now
    return message
