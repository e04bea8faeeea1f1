"""Mass sends (群发): ``/cgi-bin/message/mass/send|sendall|preview|get|delete``.

A service account's follower receives at most 4 mass messages per calendar
month; followers over quota are skipped, and when nobody has quota left WeChat
answers 45028. A ``clientmsgid`` already used within 24 hours is answered with
45065 ``clientmsgid exist`` and the earlier ``msg_id``; nothing is sent again.
Without a ``clientmsgid`` WeChat uses a digest of the audience and the content,
so the very same broadcast twice in 24 hours is refused too. At most 60 mass
requests a minute (45009 beyond). The result is reported to the webhook with a
``MASSSENDJOBFINISH`` event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from emulator.errors import WeChatError, json_body, ok
from emulator.followers import Follower
from emulator.state import EmulatorState, current_state
from emulator.webhook import deliver_later

bp = Blueprint("emulator_mass", __name__)

MASS_TYPES = {"text", "mpnews", "image", "voice", "mpvideo", "wxcard"}
PER_MINUTE = 60


def _check_content(body: dict[str, Any]) -> dict[str, Any]:
    """Validate the message of a mass send and return ``{msgtype, <msgtype>: ...}``."""
    msgtype = body.get("msgtype")
    if msgtype not in MASS_TYPES:
        raise WeChatError(40008)
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise WeChatError(47001)
    if msgtype == "text" and not content.get("content"):
        raise WeChatError(44004)
    if msgtype == "wxcard" and not content.get("card_id"):
        raise WeChatError(40007)
    if msgtype not in ("text", "wxcard") and not content.get("media_id"):
        raise WeChatError(40007)
    return {"msgtype": msgtype, msgtype: content}


def _rate_limit(state: EmulatorState) -> None:
    """WeChat refuses more than 60 mass requests a minute."""
    now = state.now()
    recent = [t for t in state.rate_windows.get("mass", []) if now - t < 60]
    if len(recent) >= PER_MINUTE:
        raise WeChatError(45009)
    recent.append(now)
    state.rate_windows["mass"] = recent


def _client_id(body: dict[str, Any], audience: Any, message: dict[str, Any]) -> str:
    """The ``clientmsgid``, or WeChat's default: a digest of audience and content."""
    given = body.get("clientmsgid")
    if given:
        if len(str(given).encode("utf-8")) > 64:
            raise WeChatError(45067, "clientmsgid size out of limit")
        return str(given)
    digest = json.dumps({"to": audience, "msg": message}, sort_keys=True, ensure_ascii=False)
    return "auto:" + hashlib.sha1(digest.encode("utf-8")).hexdigest()


def _check_duplicate(state: EmulatorState, client_id: str) -> None:
    """45065 with the earlier msg_id when the clientmsgid was used within 24 h."""
    earlier = state.mass_client_ids.get(client_id)
    if earlier and state.now() - earlier[1] < state.config.mass_dedup_seconds:
        raise WeChatError(45065, msg_id=earlier[0])


def _finish_event(state: EmulatorState, msg_id: int, total: int, sent: int) -> dict[str, Any]:
    """The ``MASSSENDJOBFINISH`` event (WeChat sends it from ``mphelper``)."""
    return {
        "ToUserName": state.webhook.original_id,
        "FromUserName": "mphelper",
        "CreateTime": int(state.now()),
        "MsgType": "event",
        "Event": "MASSSENDJOBFINISH",
        "MsgID": msg_id,
        "Status": "send success",
        "TotalCount": total,
        "FilterCount": sent,
        "SentCount": sent,
        "ErrorCount": 0,
    }


def _send(body: dict[str, Any], targets: list[Follower], audience: Any) -> ResponseReturnValue:
    """Deliver one mass message to the targets that still have quota this month."""
    state = current_state()
    message = _check_content(body)
    with state.lock:
        _rate_limit(state)
        client_id = _client_id(body, audience, message)
        _check_duplicate(state, client_id)
        month, quota = state.month(), state.config.mass_monthly_quota
        eligible = [u for u in targets if u.mass_left(month, quota) > 0]
        if targets and not eligible:
            raise WeChatError(45028)
        msg_id = state.next_msgid()
        for user in eligible:
            user.mass_received[month] = user.mass_received.get(month, 0) + 1
            state.record(user.openid, "mass", {**message, "msg_id": msg_id})
        state.mass_client_ids[client_id] = (msg_id, state.now())
        state.mass_jobs[msg_id] = {"client_msg_id": client_id, "sent": len(eligible)}
        event = _finish_event(state, msg_id, len(targets), len(eligible))
    deliver_later(state, event, "mphelper")
    return {
        "errcode": 0,
        "errmsg": "send job submission success",
        "msg_id": msg_id,
        "msg_data_id": msg_id + 1_000_000_000,
    }


@bp.post("/cgi-bin/message/mass/send")
def send_to_openids() -> ResponseReturnValue:
    """Mass send to a list of 2–10000 openids; non-followers are not counted."""
    body = json_body()
    touser = body.get("touser")
    if not isinstance(touser, list) or len(touser) < 2:
        raise WeChatError(40130)
    if len(touser) > 10000:
        raise WeChatError(40032)
    state = current_state()
    with state.lock:
        wanted = dict.fromkeys(o for o in touser if isinstance(o, str))
        known = [state.users[o] for o in wanted if o in state.users]
        if not known:
            raise WeChatError(40003)
        targets = [u for u in known if u.subscribe]
    return _send(body, targets, sorted(wanted))


def _tag(state: EmulatorState, raw: Any) -> int:
    """The tag a mass send targets, or 45159."""
    try:
        tag_id = int(raw)
    except (TypeError, ValueError):
        raise WeChatError(45159) from None
    if tag_id not in state.tags:
        raise WeChatError(45159)
    return tag_id


@bp.post("/cgi-bin/message/mass/sendall")
def send_to_all() -> ResponseReturnValue:
    """Mass send to every follower or to one tag."""
    body = json_body()
    audience = body.get("filter") if isinstance(body.get("filter"), dict) else {}
    state = current_state()
    with state.lock:
        followers = [u for u in state.users.values() if u.subscribe]
        if not audience.get("is_to_all"):
            tag_id = _tag(state, audience.get("tag_id"))
            followers = [u for u in followers if tag_id in u.tags]
    return _send(body, followers, audience)


@bp.post("/cgi-bin/message/mass/preview")
def preview() -> ResponseReturnValue:
    """A preview to one follower: no quota used, no clientmsgid."""
    body = json_body()
    message = _check_content(body)
    state = current_state()
    with state.lock:
        user = state.users.get(body.get("touser") or "")
        if user is None:
            raise WeChatError(40003)
        if not user.subscribe:
            raise WeChatError(43004)
        msg_id = state.next_msgid()
        state.record(user.openid, "mass", {**message, "msg_id": msg_id, "preview": True})
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def _job(state: EmulatorState, body: dict[str, Any]) -> int:
    """The msg_id of a known mass job or 40059."""
    try:
        msg_id = int(body.get("msg_id"))
    except (TypeError, ValueError):
        raise WeChatError(40059) from None
    if msg_id not in state.mass_jobs:
        raise WeChatError(40059)
    return msg_id


@bp.post("/cgi-bin/message/mass/get")
def job_status() -> ResponseReturnValue:
    """The status of a mass job."""
    state = current_state()
    with state.lock:
        msg_id = _job(state, json_body())
        status = state.mass_jobs[msg_id].get("status", "SEND_SUCCESS")
    return {"msg_id": msg_id, "msg_status": status}


@bp.post("/cgi-bin/message/mass/delete")
def delete_job() -> ResponseReturnValue:
    """Delete a sent mass message (the record of what phones got stays)."""
    state = current_state()
    with state.lock:
        msg_id = _job(state, json_body())
        state.mass_jobs[msg_id]["status"] = "DELETE"
    return ok()
