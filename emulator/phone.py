"""The citizen's phone: ``POST /_phone/send`` plays what WeChat's servers do for a tap.

The phone simulator (and tests) say what the citizen did; the emulator records
the interaction (follow state, 48-hour window, allowances), builds the XML
WeChat sends, signs it (and encrypts it in safe mode), posts it to the
service's webhook and returns the passive reply the citizen would see.
With ``"retry": true`` the same message is posted 3 times, as WeChat does
when it gets no answer in 5 seconds.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from emulator.followers import Follower
from emulator.state import EmulatorState, WebhookSettings, current_state
from emulator.webhook import UNAVAILABLE, Attempt, ReplyError, build_xml, parse_reply, post

bp = Blueprint("emulator_phone", __name__)

# WeChat openids: letters, digits, "-" and "_" (28 characters; test citizens use shorter ones).
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MESSAGE_TYPES = {"text", "image", "voice", "video", "location", "link"}
EVENT_NAMES = {
    name.lower(): name
    for name in (
        "subscribe",
        "unsubscribe",
        "CLICK",
        "VIEW",
        "SCAN",
        "LOCATION",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "view_miniprogram",
    )
}
# Daxing district government, for location messages without coordinates.
DEFAULT_LATITUDE, DEFAULT_LONGITUDE = 39.7267, 116.3414
NOT_FOLLOWING = "请先关注公众号，再发送消息"


class PhoneError(ValueError):
    """A request the phone cannot make; answered with HTTP 400 or 409."""

    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _message_fields(kind: str, body: dict[str, Any], msg_id: int) -> dict[str, Any]:
    """The type-specific part of a citizen message."""
    content = str(body.get("content") or "")
    if kind == "text":
        if not content:
            raise PhoneError("文本消息不能为空")
        return {"Content": content, "MsgId": msg_id}
    if kind == "location":
        return {
            "Location_X": float(body.get("latitude") or DEFAULT_LATITUDE),
            "Location_Y": float(body.get("longitude") or DEFAULT_LONGITUDE),
            "Scale": 15,
            "Label": content or "北京市大兴区",
            "MsgId": msg_id,
        }
    if kind == "link":
        return {"Title": content, "Description": "", "Url": body.get("url") or "", "MsgId": msg_id}
    fields: dict[str, Any] = {"MediaId": f"media_{msg_id}"}
    if kind == "image":
        fields["PicUrl"] = content or "http://mmbiz.qpic.cn/demo.jpg"
    if kind == "voice":
        fields.update({"Format": "amr", "Recognition": content})
    if kind == "video":
        fields["ThumbMediaId"] = f"thumb_{msg_id}"
    return {**fields, "MsgId": msg_id}


def _event_fields(event: str, body: dict[str, Any]) -> dict[str, Any]:
    """The type-specific part of an event (EventKey, Ticket, ScanCodeInfo...)."""
    key = str(body.get("event_key") or "")
    fields: dict[str, Any] = {"Event": event}
    if event == "subscribe":
        fields["EventKey"] = f"qrscene_{key}" if key else ""
        if key or body.get("ticket"):
            fields["Ticket"] = str(body.get("ticket") or "")
    elif event == "SCAN":
        fields.update({"EventKey": key, "Ticket": str(body.get("ticket") or "")})
    elif event == "LOCATION":
        fields["Latitude"] = float(body.get("latitude") or DEFAULT_LATITUDE)
        fields["Longitude"] = float(body.get("longitude") or DEFAULT_LONGITUDE)
        fields["Precision"] = 30.0
    elif event in ("scancode_push", "scancode_waitmsg"):
        info = {"ScanType": "qrcode", "ScanResult": str(body.get("content") or "")}
        fields.update({"EventKey": key, "ScanCodeInfo": info})
    else:
        fields["EventKey"] = key
    return fields


def _normalise(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(openid, type, event)`` of a phone request, validated."""
    openid = str(body.get("openid") or "").strip()
    if not openid:
        raise PhoneError("缺少 openid")
    if not OPENID.fullmatch(openid):
        raise PhoneError("openid 只能包含字母、数字、“-”和“_”（最长 64 位）")
    kind = str(body.get("type") or "text")
    if kind == "event":
        event = EVENT_NAMES.get(str(body.get("event") or "").lower())
        if event is None:
            raise PhoneError(f"不支持的事件类型：{body.get('event')!r}")
        return openid, kind, event
    if kind not in MESSAGE_TYPES:
        raise PhoneError(f"不支持的消息类型：{kind!r}")
    return openid, kind, None


def _apply_interaction(state: EmulatorState, user: Follower, event: str | None, scene: str) -> None:
    """Update follow state and the customer-service allowances like WeChat does."""
    now = state.now()
    if event == "subscribe":
        user.follow(now, "ADD_SCENE_QR_CODE" if scene else "ADD_SCENE_SEARCH")
        if scene:
            user.qr_scene_str = scene
        user.record_event(event, now)
        return
    if not user.subscribe:
        raise PhoneError(NOT_FOLLOWING, status=409, code="not_subscribed")
    if event == "unsubscribe":
        user.unfollow()
    elif event is not None:
        user.record_event(event, now)
    else:
        user.record_message(now)


def _build(state: EmulatorState, body: dict[str, Any]) -> tuple[dict[str, Any], WebhookSettings]:
    """Record the interaction and return the XML fields and webhook settings to use."""
    openid, kind, event = _normalise(body)
    with state.lock:
        user = state.follower(openid, create=True)
        if body.get("nickname"):
            user.nickname = str(body["nickname"])
        _apply_interaction(state, user, event, str(body.get("event_key") or ""))
        fields: dict[str, Any] = {
            "ToUserName": state.webhook.original_id,
            "FromUserName": openid,
            "CreateTime": int(state.now()),
            "MsgType": kind,
        }
        if event is None:
            fields.update(_message_fields(kind, body, 6_000_000_000_000_000_000 + state.next_msgid()))
        else:
            fields.update(_event_fields(event, body))
        return fields, WebhookSettings(**vars(state.webhook))


def _post_copies(settings: WebhookSettings, xml: str, openid: str, copies: int, concurrent: bool) -> list[Attempt]:
    """Post ``copies`` times, one after the other or all at once (each signed with the real time)."""
    if not concurrent:
        return [post(settings, xml, openid) for _ in range(copies)]
    attempts: list[Attempt | None] = [None] * copies

    def run(index: int) -> None:
        attempts[index] = post(settings, xml, openid)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for a in attempts if a is not None]


def _what_citizen_sees(settings: WebhookSettings, attempts: list[Attempt], openid: str) -> list[dict[str, Any]]:
    """Parse every answer; the citizen sees the first real reply, else the error notice."""
    shown: list[dict[str, Any]] | None = None
    reasons = []
    for attempt in attempts:
        try:
            attempt.replies = parse_reply(settings, attempt, openid)
        except ReplyError as exc:
            attempt.error = attempt.error or str(exc)
            reasons.append(str(exc))
            continue
        if shown is None or (not shown and attempt.replies):
            shown = attempt.replies
    if shown is None:
        return [{"type": "error", "content": UNAVAILABLE, "reason": "；".join(reasons)}]
    return shown


@bp.post("/_phone/send")
def phone_send() -> ResponseReturnValue:
    """What happens when the citizen sends a message or taps something."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"error": "bad_request", "message": "请求体必须是 JSON 对象"}, 400
    state = current_state()
    try:
        fields, settings = _build(state, body)
    except PhoneError as exc:
        return {"error": exc.code, "message": str(exc)}, exc.status
    openid, xml = fields["FromUserName"], build_xml(fields)
    copies = 3 if body.get("retry") else 1
    attempts = _post_copies(settings, xml, openid, copies, bool(body.get("concurrent")))
    replies = _what_citizen_sees(settings, attempts, openid)
    for reply in replies:
        if reply["type"] != "error":
            state.record(openid, "passive", reply)
    for attempt in attempts:
        state.add_delivery({"source": "phone", "openid": openid, "fields": fields, **attempt.to_dict()})
    first = attempts[0]
    return {
        "replies": replies,
        "status": first.status,
        "elapsed_ms": first.elapsed_ms,
        "attempts": [a.to_dict() for a in attempts],
        "msg_id": fields.get("MsgId"),
        "create_time": fields["CreateTime"],
    }
