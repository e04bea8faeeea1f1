"""The WeChat webhook: verify → parse → dedup → ``router.dispatch`` → render.

It always answers quickly: anything slow is queued by the services, and any
unexpected error becomes a polite apology (or ``success``), never a 500 or a
stack trace sent to WeChat.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import structlog
from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Request

from bot import crypto, render, replay
from bot.dedup import Deduplicator, message_key
from bot.metrics import DEDUP_HITS
from bot.state import ConversationState
from handlers import texts
from handlers.chat import ChatContext, NoReply, Reply, TextReply
from models import cipher, db
from services.calendar import clock
from services.participation import citizens, interactions
from services.privacy import hash_openid
from services.programme import event_cache

bp = Blueprint("wechat", __name__)
log = structlog.get_logger("webhook")
ENVELOPE = "env:"  # marks a kept answer that is the encrypted envelope sent to WeChat


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
    # WeChat signs with the real time: a trial's moved business clock (CLOCK_NOW) must not refuse every push.
    replay.check_timestamp(timestamp, clock.wall_time(), settings.WECHAT_TIMESTAMP_WINDOW_SECONDS)


def _claim_once(settings, args, body: bytes) -> None:
    """Accept this (timestamp, nonce) for ``body`` only (:mod:`bot.replay`)."""
    replay.claim_once(current_app.extensions.get("redis"), db.session, _guard(settings, args, body), clock.now())


def _guard(settings, args, body: bytes) -> replay.Claim:
    return replay.Claim.of(args.get("timestamp", ""), args.get("nonce", ""), body,
                           settings.WECHAT_TIMESTAMP_WINDOW_SECONDS)


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


class Answer(NamedTuple):
    """What goes back to WeChat: status, body and content type (the entry writes it out, no Response object)."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def receive(push: Request) -> Answer:
    """Handle one message or event pushed by WeChat (``POST /wechat``).

    Served by :class:`app.webhook_entry.WebhookEntry` beside Flask's request machinery (the hot path,
    docs/architecture.md): ``push`` is the plain werkzeug request, and the app context is pushed.
    """
    settings = _settings()
    body = push.stream.read(settings.MAX_BODY_BYTES + 1)
    if len(body) > settings.MAX_BODY_BYTES:
        return Answer(413, "payload too large")
    args = push.args
    try:
        _verify_url(settings, args)
        body, box = _open(settings, args, body)
        fields = crypto.safe_xml(body)
        if not _for_this_account(fields, settings):
            return Answer(200, "success")
        # Bound to the decrypted body: WeChat's retry of the same message passes on to dedup.
        answer = _handle(fields, settings, _guard(settings, args, body), Envelope(box, args))
    except crypto.Forbidden as exc:
        log.warning("webhook.forbidden", reason=str(exc))
        return Answer(403, "forbidden")
    except crypto.BadRequest as exc:
        log.warning("webhook.bad_request", reason=str(exc))
        return Answer(400, "bad request")
    if not answer or answer == "success":
        return Answer(200, "success")
    return Answer(200, answer, "application/xml; charset=utf-8")


def _for_this_account(fields: dict[str, str], settings) -> bool:
    """The push is addressed to this account (``WECHAT_ACCOUNT_ID``, when set); another's is dropped, stored nowhere.

    Logged without the sender or any text: the account it was addressed to, when it looks like an original id.
    """
    account = settings.WECHAT_ACCOUNT_ID
    addressed = fields.get("ToUserName", "")
    if not account or addressed == account:
        return True
    shown = addressed if _ORIGINAL_ID.fullmatch(addressed) else "?"
    log.warning("webhook.other_account", to_account=shown, msg_type=(fields.get("MsgType") or "")[:16])
    return False


_ORIGINAL_ID = re.compile(r"gh_[0-9a-zA-Z]{1,40}")


@dataclass(frozen=True)
class Envelope:
    """How an answer goes back: encrypted with the account's key in safe mode, as it is otherwise."""

    box: Any  # the WeChatCrypto of the push, None for a plain push
    args: Any  # the query string (nonce, timestamp)

    def wrap(self, xml: str) -> str:
        if self.box is None or not xml or xml == "success":
            return xml
        return self.box.encrypt_message(xml, self.args.get("nonce", ""), self.args.get("timestamp"))


def _handle(fields: dict[str, str], settings, guard: replay.Claim | None, envelope: Envelope) -> str:
    """Dedup and dispatch one parsed message; the answer (the reply XML in its ``envelope``) or ``success``.

    Two Redis round trips: before handling, the replay guard, the dedup claim, the conversation state
    and the programme's version; after it, the reply for retries, the state if it changed and the
    note of the citizen's interaction (written to the database behind, :mod:`interactions`).
    """
    openid = fields.get("FromUserName", "")
    msg_type = (fields.get("MsgType") or "").strip().lower()
    if not openid or not msg_type:
        if guard is not None:
            replay.claim_once(current_app.extensions.get("redis"), db.session, guard, clock.now())
        return "success"
    now = clock.now()
    redis_client = current_app.extensions.get("redis")
    dedup = Deduplicator(redis_client, db.session, settings.DEDUP_TTL_SECONDS)
    key = message_key(fields)
    log_ctx = log.bind(openid=hash_openid(openid), msg_type=msg_type, event=fields.get("Event", ""))
    try:
        first, cached, (raw_state, events_version) = dedup.claim_and_read(
            key, openid, now, reads=(ConversationState.key_of(openid), event_cache.VERSION_KEY), guard=guard)
    except SQLAlchemyError:
        db.session.rollback()
        log_ctx.error("webhook.database_unavailable")
        return "success"
    if not first:
        DEDUP_HITS.inc()
        log_ctx.info("webhook.duplicate", cached=cached is not None)
        return _open_kept(cached, envelope) or "success"
    redis_ok = dedup.redis_ok
    state = ConversationState(redis_client if redis_ok else None, openid, now, ttl=settings.DIALOGUE_TTL_SECONDS,
                              raw=raw_state, deferred=True)
    event = (fields.get("Event") or "").strip().lower() if msg_type == "event" else ""
    interactive = msg_type != "event" or event in citizens.WINDOW_EVENTS
    inbound = Inbound(fields=fields, openid=openid, msg_type=msg_type, now=now, key=key, state=state,
                      record_now=not redis_ok, interactive=interactive, followed=event == "subscribe",
                      events_version=events_version if redis_ok else event_cache.DOWN, settings=settings,
                      log=log_ctx)
    outcome = _dispatch(inbound)
    xml = render.to_xml(outcome.reply, openid=openid, account=fields.get("ToUserName") or settings.WECHAT_ACCOUNT_ID,
                        now=now)
    answer = envelope.wrap(xml)
    if outcome.database_failed:
        # Nothing was stored: forget the claim, so that a retry (or the citizen sending again) is handled afresh.
        dedup.release(key)
        return answer
    writes = (state.stage,) if inbound.record_now else (
        state.stage, lambda pipe: interactions.note(pipe, openid, now, interactive, followed=inbound.followed))
    if not dedup.remember(key, _kept(xml, answer, envelope), writes) and not inbound.record_now:
        _record_in_database(inbound)
    return answer


def _record_in_database(inbound: Inbound) -> None:
    """Redis failed after handling: the citizen's interaction goes to the database at once instead."""
    inbound.log.warning("webhook.state_not_saved")
    try:
        citizens.record_interaction(db.session, inbound.openid, inbound.now, interactive=inbound.interactive,
                                    followed=inbound.followed)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        inbound.log.exception("webhook.interaction_lost")


def _kept(xml: str, answer: str, envelope: Envelope) -> str:
    """The answer as kept for retries. It may hold a name, so never in clear: an answer encrypted with the
    account's key is kept as it went (``ENVELOPE`` first; WeChat's retry gets the same bytes), a plain one
    is sealed with the personal-data key."""
    if not xml or xml == "success":
        return xml
    if envelope.box is not None:
        return ENVELOPE + answer
    return cipher.encrypt(xml)


def _open_kept(kept: str | None, envelope: Envelope) -> str | None:
    """The answer kept for retries, ready to send again (``None`` when it cannot be read)."""
    if not kept or kept == "success":
        return kept
    if kept.startswith(ENVELOPE):
        # Kept as it went: only an encrypted retry can take it (a plain one would not read it).
        return kept[len(ENVELOPE):] if envelope.box is not None else None
    plain = kept if kept.startswith("<") else cipher.decrypt(kept)  # a reply kept in clear before sealing
    return envelope.wrap(plain) if plain.startswith("<") else None  # an unreadable seal: answer "success"


@dataclass(frozen=True)
class Inbound:
    """One push from WeChat, verified, parsed and claimed, with what dispatching it needs."""

    fields: dict[str, str]
    openid: str
    msg_type: str
    now: dt.datetime
    key: str  # the dedup key
    state: ConversationState
    record_now: bool  # Redis is down: record the citizen's interaction in the handling transaction
    interactive: bool  # the push opens the customer-service window
    followed: bool  # a follow (subscribe event)
    events_version: Any
    settings: Any
    log: Any


@dataclass(frozen=True)
class Dispatched:
    """What handling one push came to."""

    reply: Reply
    database_failed: bool = False  # the database refused or timed out: nothing of this push was stored


def _dispatch(inbound: Inbound) -> Dispatched:
    """Run the router; errors become an apology (or nothing, for events)."""
    ctx = ChatContext(
        openid=inbound.openid, msg_type=inbound.msg_type, fields=inbound.fields, now=inbound.now, session=db.session,
        state=inbound.state, key=inbound.key, public_base_url=inbound.settings.PUBLIC_BASE_URL,
        settings=inbound.settings, events_version=inbound.events_version,
    )
    is_event = inbound.msg_type == "event"
    try:
        if inbound.record_now:
            citizens.record_interaction(db.session, inbound.openid, inbound.now, interactive=inbound.interactive,
                                        followed=inbound.followed)
        reply = current_app.extensions["router"].dispatch(ctx)
        # Most messages touch no table: no session was even opened, and there is nothing to commit.
        if db.session.registry.has() and db.session().in_transaction():
            db.session.commit()
        return Dispatched(reply)
    except SQLAlchemyError:
        db.session.rollback()
        inbound.log.exception("webhook.database_error")
        return Dispatched(NoReply() if is_event else TextReply(texts.SORRY_BUSY), database_failed=True)
    except Exception:
        db.session.rollback()
        inbound.log.exception("webhook.handler_error")
        return Dispatched(NoReply() if is_event else TextReply(texts.SORRY_ERROR))
