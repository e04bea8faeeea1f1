"""The WeChat webhook: verify → parse → dedup → ``router.dispatch`` → render.

It always answers quickly: anything slow is queued by the services, and any
unexpected error becomes a polite apology (or ``success``), never a 500 or a
stack trace sent to WeChat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog
from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from bot import crypto, render, replay
from bot.dedup import Deduplicator, message_key
from bot.metrics import DEDUP_HITS
from bot.state import ConversationState
from handlers import texts
from handlers.chat import ChatContext, NoReply, Reply, TextReply
from models import cipher, db
from services.calendar import clock
from services.participation import citizens
from services.privacy import hash_openid
from services.programme import event_cache

bp = Blueprint("wechat", __name__)
log = structlog.get_logger("webhook")
# ``touched:<openid>`` holds when (service clock) the citizen's interaction was last written to the database.
TOUCHED_PREFIX = "touched:"
TOUCHED_TTL = 300


@bp.record
def _configure_event_cache(state) -> None:
    """Every process that builds the app (web, scheduler, CLI) bumps the programme version in its Redis."""
    event_cache.configure(state.app.extensions.get("redis"))


def _settings():
    return current_app.extensions["settings"]


@bp.get("/wechat")
def server_check() -> Response:
    """WeChat's server check: echo ``echostr`` when the signature is ours and fresh."""
    args = request.args
    try:
        _verify_url(_settings(), args)
        _claim_once(_settings(), args, ("GET:" + args.get("echostr", "")).encode())
    except crypto.Forbidden as exc:
        log.warning("webhook.forbidden", reason=str(exc))
        return Response("forbidden", 403, mimetype="text/plain")
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _verify_url(settings, args) -> None:
    """The URL signature and the timestamp window; :class:`crypto.Forbidden` if either fails."""
    timestamp = args.get("timestamp", "")
    crypto.check_url_signature(settings.WECHAT_TOKEN, args.get("signature", ""), timestamp, args.get("nonce", ""))
    replay.check_timestamp(timestamp, clock.now(), settings.WECHAT_TIMESTAMP_WINDOW_SECONDS)


def _claim_once(settings, args, body: bytes) -> None:
    """Accept this (timestamp, nonce) for ``body`` only (:mod:`bot.replay`)."""
    replay.claim_once(current_app.extensions.get("redis"), db.session, args.get("timestamp", ""),
                      args.get("nonce", ""), body, clock.now(), settings.WECHAT_TIMESTAMP_WINDOW_SECONDS)


def _open(settings, args, body: bytes) -> tuple[bytes, Any]:
    """The plain XML of a push and the crypto box to answer with (None for a plain answer).

    ``safe`` accepts only encrypted bodies whose ``msg_signature`` verifies; ``compatible`` accepts
    both; ``plain`` reads the body as it comes (and still decrypts what WeChat marks as encrypted).
    """
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    if not encrypted:
        if settings.WECHAT_MESSAGE_MODE == "safe":
            raise crypto.Forbidden("plaintext body refused in safe mode")
        return body, None
    if not settings.WECHAT_AES_KEY:
        raise crypto.BadRequest("encrypted body but no AES key configured")
    box = crypto.crypto_for(settings.WECHAT_TOKEN, settings.WECHAT_AES_KEY, settings.WECHAT_APPID)
    plain = crypto.decrypt(box, body, args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    return plain, box


@bp.post("/wechat")
def receive() -> Response:
    """Handle one message or event pushed by WeChat."""
    settings = _settings()
    body = request.stream.read(settings.MAX_BODY_BYTES + 1)
    if len(body) > settings.MAX_BODY_BYTES:
        return Response("payload too large", 413, mimetype="text/plain")
    args = request.args
    try:
        _verify_url(settings, args)
        body, box = _open(settings, args, body)
        fields = crypto.safe_xml(body)
        # Bound to the decrypted body: WeChat's retry of the same message passes on to dedup.
        _claim_once(settings, args, body)
    except crypto.Forbidden as exc:
        log.warning("webhook.forbidden", reason=str(exc))
        return Response("forbidden", 403, mimetype="text/plain")
    except crypto.BadRequest as exc:
        log.warning("webhook.bad_request", reason=str(exc))
        return Response("bad request", 400, mimetype="text/plain")
    plain_reply = _handle(fields, settings)
    if not plain_reply or plain_reply == "success":
        return Response("success", mimetype="text/plain")
    if box is not None:
        plain_reply = box.encrypt_message(plain_reply, args.get("nonce", ""), args.get("timestamp"))
    return Response(plain_reply, mimetype="application/xml")


def _handle(fields: dict[str, str], settings) -> str:
    """Dedup and dispatch one parsed message; the plain reply XML or ``success``."""
    openid = fields.get("FromUserName", "")
    msg_type = (fields.get("MsgType") or "").strip().lower()
    if not openid or not msg_type:
        return "success"
    now = clock.now()
    redis_client = current_app.extensions.get("redis")
    dedup = Deduplicator(redis_client, db.session, settings.DEDUP_TTL_SECONDS)
    key = message_key(fields)
    log_ctx = log.bind(openid=hash_openid(openid), msg_type=msg_type, event=fields.get("Event", ""))
    touched_key = TOUCHED_PREFIX + openid
    try:
        # One Redis round trip: the claim, the conversation state and when the citizen was last recorded.
        first, cached, (raw_state, touched_at, events_version) = dedup.claim_and_read(
            key, openid, now, reads=(ConversationState.key_of(openid), touched_key, event_cache.VERSION_KEY))
    except SQLAlchemyError:
        db.session.rollback()
        log_ctx.error("webhook.database_unavailable")
        return "success"
    if not first:
        DEDUP_HITS.inc()
        log_ctx.info("webhook.duplicate", cached=cached is not None)
        return _open_reply(cached) or "success"
    redis_ok = dedup.redis_ok
    state = ConversationState(redis_client if redis_ok else None, openid, now, ttl=settings.DIALOGUE_TTL_SECONDS,
                              raw=raw_state)
    interactive = msg_type != "event" or (fields.get("Event") or "").strip().lower() in citizens.WINDOW_EVENTS
    # Record the interaction at most once a resolution; an event that opens no window only needs the
    # citizen to exist, which a recent record (the key lives TOUCHED_TTL) already shows.
    if not redis_ok:
        touch, events_version = True, event_cache.DOWN
    elif interactive:
        touch = not _recently_touched(touched_at, now)
    else:
        touch = touched_at is None
    inbound = Inbound(fields=fields, openid=openid, msg_type=msg_type, now=now, key=key, state=state, touch=touch,
                      interactive=interactive, events_version=events_version, settings=settings, log=log_ctx)
    outcome = _dispatch(inbound)
    xml = render.to_xml(outcome.reply, openid=openid, account=fields.get("ToUserName") or settings.WECHAT_ACCOUNT_ID,
                        now=now)
    if outcome.database_failed:
        # Nothing was stored: forget the claim, so that a retry (or the citizen sending again) is handled afresh.
        dedup.release(key)
        return xml
    also = {touched_key: (str(now.timestamp()).encode(), TOUCHED_TTL)} if outcome.recorded else None
    dedup.remember(key, _seal_reply(xml), also)
    return xml


def _seal_reply(xml: str) -> str:
    """A reply as kept for retries: sealed with the personal-data key (it may hold a name)."""
    return cipher.encrypt(xml) if xml and xml != "success" else xml


def _open_reply(cached: str | None) -> str | None:
    """The reply kept for retries, opened (a reply kept in clear before sealing passes as it is)."""
    if not cached or cached.startswith("<") or cached == "success":
        return cached
    plain = cipher.decrypt(cached)
    return plain if plain.startswith("<") else None  # an unreadable seal: answer "success"


def _recently_touched(touched_at: bytes | None, now) -> bool:
    """True when the citizen's last interaction was recorded less than the resolution ago (service clock)."""
    try:
        age = now.timestamp() - float(touched_at)
    except (TypeError, ValueError):
        return False
    return 0 <= age < citizens.INTERACTION_RESOLUTION.total_seconds()


@dataclass(frozen=True)
class Inbound:
    """One push from WeChat, verified, parsed and claimed, with what dispatching it needs."""

    fields: dict[str, str]
    openid: str
    msg_type: str
    now: dt.datetime
    key: str  # the dedup key
    state: ConversationState
    touch: bool  # record the citizen's interaction now
    interactive: bool  # the push opens the customer-service window
    events_version: Any
    settings: Any
    log: Any


@dataclass(frozen=True)
class Outcome:
    """What handling one push came to."""

    reply: Reply
    recorded: bool = False  # the citizen's interaction was recorded now (and committed)
    database_failed: bool = False  # the database refused or timed out: nothing of this push was stored


def _dispatch(inbound: Inbound) -> Outcome:
    """Run the router; errors become an apology (or nothing, for events)."""
    ctx = ChatContext(
        openid=inbound.openid, msg_type=inbound.msg_type, fields=inbound.fields, now=inbound.now, session=db.session,
        state=inbound.state, key=inbound.key, public_base_url=inbound.settings.PUBLIC_BASE_URL,
        settings=inbound.settings, events_version=inbound.events_version,
    )
    is_event = inbound.msg_type == "event"
    try:
        if inbound.touch:
            citizens.record_interaction(db.session, inbound.openid, inbound.now, interactive=inbound.interactive)
        reply = current_app.extensions["router"].dispatch(ctx)
        db.session.commit()
        return Outcome(reply, recorded=inbound.touch and inbound.interactive)
    except SQLAlchemyError:
        db.session.rollback()
        inbound.log.exception("webhook.database_error")
        return Outcome(NoReply() if is_event else TextReply(texts.SORRY_BUSY), database_failed=True)
    except Exception:
        db.session.rollback()
        inbound.log.exception("webhook.handler_error")
        return Outcome(NoReply() if is_event else TextReply(texts.SORRY_ERROR))
