"""How an outbox row becomes one WeChat API call, and what WeChat's answer means.

Channels, tried in the order of ``DELIVERY_CHANNELS`` for a row whose channel
is ``auto``:

* ``custom`` — a customer-service text (``/cgi-bin/message/custom/send``),
  only when the payload has ``text`` and the citizen spoke to the account in
  the last 48 hours (WeChat's window; the quota inside it is WeChat's to count:
  45047 moves on to the next channel);
* ``template`` — a template message (``/cgi-bin/message/template/send``) with
  the template of ``payload["template"]`` (or ``DELIVERY_TEXT_FALLBACK_TEMPLATE``
  for a text-only payload); each value fitted to its field's type by
  :mod:`services.messaging.field_rules` (``thing`` ≤ 20 characters, ``phrase``
  ≤ 5 Chinese characters, ``time`` a time...: WeChat's 47003 otherwise).
  A ``client_msg_id`` derived from the outbox key makes WeChat ignore a repeat
  within 10 minutes;
* ``subscribe`` — a subscribe notification (``/cgi-bin/message/subscribe/bizsend``)
  with the same fields and the ids of ``WECHAT_SUBSCRIBE_TEMPLATE_IDS``.

A row with channel ``mass`` (or ``payload["mass"]``) is a 群发 to all followers
(``/cgi-bin/message/mass/sendall``) or to ``payload["touser"]``
(``/cgi-bin/message/mass/send``), always with a ``clientmsgid``.

Payload fields may name template fields directly (``thing1``) or by meaning
(``title``, ``time``, ``place``...); ``WECHAT_TEMPLATE_FIELDS`` (JSON) maps
meanings to field keys per template purpose, over the built-in map below
(``docs/delivery.md`` names the template each purpose takes in WeChat's console).
A purpose without a template of its own (``offer`` on an account configured
before it existed) uses the template of :data:`TEMPLATE_FALLBACKS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

import redis
import requests
from wechatpy.exceptions import WeChatClientException

from services.messaging import field_rules

CUSTOM, TEMPLATE, SUBSCRIBE, MASS = "custom", "template", "subscribe", "mass"
ALL_CHANNELS = (CUSTOM, TEMPLATE, SUBSCRIBE)
WINDOW = dt.timedelta(hours=48)
TEMPLATE_KEY = re.compile(r"[a-z_]+\d+")

DEFAULT_FIELD_MAP: dict[str, dict[str, str]] = {
    "reminder": {"title": "thing1", "event": "thing1", "thing": "thing1", "time": "time2", "place": "thing3"},
    "selection": {"title": "thing1", "event": "thing1", "thing": "thing1", "time": "time2", "place": "thing3",
                  "result": "phrase4", "status": "phrase4", "note": "thing5"},
    "offer": {"title": "thing1", "event": "thing1", "thing": "thing1", "place": "thing2", "time": "time3",
              "deadline": "time4", "result": "phrase5", "status": "phrase5"},
    "reply": {"subject": "thing1", "number": "thing1", "title": "thing1", "thing": "thing1", "result": "phrase2",
              "status": "phrase2", "unit": "thing3", "time": "time4"},
    "notice": {"item": "thing1", "status": "thing1", "topic": "thing1", "title": "thing2", "event": "thing2",
               "thing": "thing2", "time": "time3"},
}

# A purpose's template when the account has none of its own: a waiting-list offer on the selection card.
TEMPLATE_FALLBACKS = {"offer": "selection"}

# What WeChat's answer means for the message. ``DEFER``: our own infrastructure failed before the call
# (Redis unreachable while reading the shared token): not an attempt, never final.
RETRY, NEXT, FINAL, SENT, DEFER = "retry", "next", "final", "sent", "defer"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RETRY_CODES = frozenset({-1, 45009, 45011, 45033}) | TOKEN_ERRORS
NEXT_CODES = frozenset({45015, 45047, 48001, 40037, 47003, 43101, 41030})
# 45047 (quota used) and 45015 (window passed) with no channel left: 45047 frees up, 45015 does not.
RETRY_WHEN_LAST = frozenset({45047})


@dataclass(frozen=True)
class ChannelConfig:
    """Template ids, field maps and the channel order, from the settings."""

    template_ids: dict[str, str] = field(default_factory=dict)
    subscribe_ids: dict[str, str] = field(default_factory=dict)
    field_map: dict[str, dict[str, str]] = field(default_factory=lambda: dict(DEFAULT_FIELD_MAP))
    order: tuple[str, ...] = ALL_CHANNELS
    text_fallback_template: str = "notice"

    @classmethod
    def from_settings(cls, settings) -> ChannelConfig:
        """Parse ``WECHAT_TEMPLATE_IDS``, ``WECHAT_SUBSCRIBE_TEMPLATE_IDS``, ``WECHAT_TEMPLATE_FIELDS``..."""
        field_map = {purpose: dict(fields) for purpose, fields in DEFAULT_FIELD_MAP.items()}
        if settings.WECHAT_TEMPLATE_FIELDS.strip():
            for purpose, fields in json.loads(settings.WECHAT_TEMPLATE_FIELDS).items():
                field_map.setdefault(purpose, {}).update(fields)
        order = tuple(c.strip() for c in settings.DELIVERY_CHANNELS.split(",") if c.strip() in ALL_CHANNELS)
        return cls(_pairs(settings.WECHAT_TEMPLATE_IDS), _pairs(settings.WECHAT_SUBSCRIBE_TEMPLATE_IDS),
                   field_map, order or ALL_CHANNELS, settings.DELIVERY_TEXT_FALLBACK_TEMPLATE.strip())


def _pairs(raw: str) -> dict[str, str]:
    """``a=x,b=y`` as a dict."""
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs if value.strip()}


@dataclass(frozen=True)
class Failure:
    """A classified failure: what to do (``RETRY``/``NEXT``/``FINAL``/``SENT``) and why."""

    action: str
    code: int | None
    message: str
    maybe_delivered: bool = False  # the request may have reached WeChat (a read timeout)
    msgid: str = ""  # for SENT: WeChat already had it (45065 clientmsgid exists)


# --- choosing -------------------------------------------------------------------------------


def is_mass(channel: str, payload: dict) -> bool:
    """A 群发 row."""
    return channel == MASS or bool(payload.get("mass"))


def template_purpose(payload: dict, cfg: ChannelConfig) -> str:
    """The template the payload asks for (or its fallback), or the fallback for a text-only payload."""
    purpose = payload.get("template") or (cfg.text_fallback_template if payload.get("text") else "")
    fallback = TEMPLATE_FALLBACKS.get(purpose)
    if fallback and purpose not in cfg.template_ids and purpose not in cfg.subscribe_ids:
        return fallback
    return purpose


def plan(channel: str, payload: dict, last_interaction_at: dt.datetime | None, now: dt.datetime,
         cfg: ChannelConfig) -> list[str]:
    """The channels to try, in order, for one row."""
    if is_mass(channel, payload):
        return [MASS]
    wanted = [channel] if channel in ALL_CHANNELS else list(cfg.order)
    purpose = template_purpose(payload, cfg)
    usable = []
    for name in wanted:
        if name == CUSTOM and payload.get("text") and (
                channel == CUSTOM or (last_interaction_at is not None and now - last_interaction_at <= WINDOW)):
            usable.append(name)
        elif name == TEMPLATE and purpose in cfg.template_ids:
            usable.append(name)
        elif name == SUBSCRIBE and purpose in cfg.subscribe_ids:
            usable.append(name)
    return usable


# --- building --------------------------------------------------------------------------------


def template_data(purpose: str, payload: dict, cfg: ChannelConfig, now: dt.datetime) -> dict[str, dict[str, str]]:
    """The ``data`` of a template call: meanings mapped to field keys, each value fitted to its key's type."""
    mapping = cfg.field_map.get(purpose, {})
    data = dict(payload.get("data") or {})
    if not data and payload.get("text"):
        data = _fallback_data(payload, now)
    fields: dict[str, dict[str, str]] = {}
    for name, value in data.items():
        key = name if TEMPLATE_KEY.fullmatch(name) else mapping.get(name)
        raw = value.get("value") if isinstance(value, dict) else value
        if key and key not in fields and raw not in (None, ""):
            fields[key] = {"value": field_rules.fit(key, raw)}
    return fields


def _fallback_data(payload: dict, now: dt.datetime) -> dict[str, str]:
    """Card fields for a text-only message (a broadcast) outside the 48-hour window."""
    from services.calendar import clock

    return {"item": payload.get("title") or payload["text"], "title": payload.get("event_title", "政民互动"),
            "time": clock.local(now).strftime("%Y年%m月%d日 %H:%M")}


def client_msg_id(key: str) -> str:
    """A stable idempotency id for the row (WeChat ignores a repeat for 10 minutes)."""
    return "zm" + hashlib.sha1(key.encode()).hexdigest()[:30]


def request_for(channel: str, recipient: str, payload: dict, key: str, cfg: ChannelConfig,
                now: dt.datetime) -> tuple[str, dict]:
    """The API endpoint (relative to ``/cgi-bin/``) and JSON body of one call."""
    if channel == CUSTOM:
        return "message/custom/send", {"touser": recipient, "msgtype": "text",
                                       "text": {"content": payload["text"]}}
    if channel == MASS:
        return _mass_request(payload, key)
    purpose = template_purpose(payload, cfg)
    ids = cfg.template_ids if channel == TEMPLATE else cfg.subscribe_ids
    body = {"touser": recipient, "template_id": ids[purpose], "data": template_data(purpose, payload, cfg, now)}
    if payload.get("url"):
        body["url" if channel == TEMPLATE else "page"] = payload["url"]
    if channel == TEMPLATE:
        body["client_msg_id"] = client_msg_id(key)
        return "message/template/send", body
    return "message/subscribe/bizsend", body


def _mass_request(payload: dict, key: str) -> tuple[str, dict]:
    """A mass send to everyone (``sendall``) or to a list of openids (``send``)."""
    msgtype = payload.get("msgtype", "text")
    content = {"content": payload["text"]} if msgtype == "text" else payload[msgtype]
    body = {"msgtype": msgtype, msgtype: content, "send_ignore_reprint": 0,
            "clientmsgid": str(payload.get("clientmsgid") or client_msg_id(key))}
    if payload.get("touser"):
        return "message/mass/send", {"touser": list(payload["touser"]), **body}
    return "message/mass/sendall", {"filter": {"is_to_all": True}, **body}


def send(client, channel: str, recipient: str, payload: dict, key: str, cfg: ChannelConfig,
         now: dt.datetime) -> str:
    """Make the call; WeChat's message id (``msgid`` or ``msg_id``) as text. Raises on failure."""
    endpoint, body = request_for(channel, recipient, payload, key, cfg, now)
    answer = client.post(endpoint, data=body)
    return str(answer.get("msgid") or answer.get("msg_id") or "") if isinstance(answer, dict) else ""


# --- classifying -----------------------------------------------------------------------------


def classify(error: Exception, channel: str) -> Failure:
    """What a failed call means (docs/delivery.md, “错误分类”)."""
    if isinstance(error, WeChatClientException):
        return _classify_wechat(error, channel)
    if isinstance(error, redis.RedisError):
        # Raised before WeChat was called (the token is read from Redis before each call, and refreshed
        # only after WeChat refused the call): the message did not go out, and a lost Redis says
        # nothing about the message.
        return Failure(DEFER, None, f"infrastructure: {type(error).__name__}")
    if isinstance(error, requests.ConnectTimeout):
        return Failure(RETRY, None, "connect timeout")
    if isinstance(error, requests.Timeout):
        return Failure(RETRY, None, "read timeout", maybe_delivered=True)
    if isinstance(error, requests.ConnectionError):
        refused = "NewConnectionError" in repr(error) or "Connection refused" in str(error)
        return Failure(RETRY, None, f"connection error: {type(error).__name__}", maybe_delivered=not refused)
    if isinstance(error, requests.RequestException):
        return Failure(RETRY, None, f"request error: {type(error).__name__}")
    return Failure(FINAL, None, f"{type(error).__name__}: {error}")


def _classify_wechat(error: WeChatClientException, channel: str) -> Failure:
    """Classify WeChat's ``errcode`` (or an HTTP error page, which has none)."""
    code = error.errcode
    message = str(error.errmsg or "")
    if code is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
        return Failure(RETRY, None, f"HTTP {status}", maybe_delivered=status in (502, 504))
    code = int(code)
    if code == 45065 and channel == MASS:
        earlier = _earlier_msg_id(error)
        return Failure(SENT, code, message, msgid=earlier)
    if code in RETRY_CODES:
        return Failure(RETRY, code, message)
    if code in NEXT_CODES and not (code == 43101 and channel != SUBSCRIBE):
        return Failure(NEXT, code, message)
    return Failure(FINAL, code, message)


def _earlier_msg_id(error: WeChatClientException) -> str:
    """The ``msg_id`` WeChat returns with 45065 (the broadcast that already went out)."""
    try:
        return str(error.response.json().get("msg_id") or "")
    except (AttributeError, ValueError):
        return ""


def when_no_channel_left(failure: Failure) -> str:
    """A ``NEXT`` failure on the last channel: retry the quota (45047), else final."""
    return RETRY if failure.code in RETRY_WHEN_LAST else FINAL
