"""Messages to one citizen: customer-service, template and subscribe notifications.

- ``/cgi-bin/message/custom/send``: only to followers (43004), inside the
  48-hour window (45015) and its allowance (45047), see :mod:`emulator.followers`.
- ``/cgi-bin/message/template/send``: known template (40037); since 2023-05-04
  ``first``/``remark``, colours and emoji are dropped, and every field of the
  template must hold a value of its key's type (``thing`` ≤ 20 characters,
  ``phrase`` ≤ 5 Chinese characters, ``time`` a time..., see
  :mod:`emulator.field_rules`; never empty, no line break), else 47003
  ``argument invalid! data.<key>.value invalid``; reports delivery with a
  ``TEMPLATESENDJOBFINISH`` event.
- ``/cgi-bin/message/subscribe/bizsend``: like a template, plus 43101 when the
  citizen refused the notifications.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from emulator import field_rules
from emulator.catalog import Template
from emulator.errors import WeChatError, json_body, ok
from emulator.followers import Follower
from emulator.state import EmulatorState, current_state
from emulator.webhook import deliver_later

bp = Blueprint("emulator_messages", __name__)

CUSTOM_TYPES = {
    "text",
    "image",
    "voice",
    "video",
    "music",
    "news",
    "mpnews",
    "mpnewsarticle",
    "msgmenu",
    "wxcard",
    "miniprogrampage",
}
MEDIA_TYPES = {"image", "voice", "video", "mpnews"}
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


def _recipient(state: EmulatorState, openid: Any) -> Follower:
    """The addressed citizen; WeChat answers 40003 for an openid it never saw."""
    user = state.users.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatError(40003)
    return user


def _check_custom(body: dict[str, Any]) -> None:
    """Validate the content of a customer-service message."""
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_TYPES:
        raise WeChatError(40008)
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise WeChatError(47001)
    if msgtype == "text":
        text = content.get("content")
        if not text:
            raise WeChatError(44004)
        if len(str(text).encode("utf-8")) > 2048:
            raise WeChatError(45002)
    elif msgtype == "news":
        articles = content.get("articles") or []
        if not articles:
            raise WeChatError(44003)
        if len(articles) > 1:
            raise WeChatError(45008)
    elif msgtype in MEDIA_TYPES and not content.get("media_id"):
        raise WeChatError(40007)


@bp.post("/cgi-bin/message/custom/send")
def send_custom() -> ResponseReturnValue:
    """A customer-service message, within the window and the allowance."""
    body = json_body()
    state = current_state()
    with state.lock:
        user = _recipient(state, body.get("touser"))
        _check_custom(body)
        user.consume_customer_quota(state.now())
        state.record(user.openid, "custom", body)
    return ok()


def _field_value(data: dict[str, Any], key: str) -> str:
    """The value of one template field, as text, validated like WeChat does now (by the key's type)."""
    item = data.get(key)
    value = item.get("value") if isinstance(item, dict) else item
    text = EMOJI.sub("", "" if value is None else str(value))
    if not field_rules.accepts(key, text):
        raise WeChatError(47003, field_rules.invalid_message(key))
    return text


def render_template(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Check a template message and return what the citizen's card shows.

    Keys the template does not have (``first``, ``remark``...) and colours are
    dropped, as WeChat has done since 2023-05-04.
    """
    template: Template | None = state.templates.get(body.get("template_id"))
    if template is None:
        raise WeChatError(40037)
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise WeChatError(47001)
    fields = [
        {"key": key, "label": label, "value": _field_value(data, key)}
        for key, label in template.fields
    ]
    known = {key for key, _ in template.fields}
    return {
        "template_id": template.id,
        "title": template.title,
        "fields": fields,
        "url": body.get("url") or body.get("page") or "",
        "miniprogram": body.get("miniprogram"),
        "dropped": sorted(set(data) - known),
    }


def _template_duplicate(state: EmulatorState, openid: str, client_msg_id: Any) -> int | None:
    """The msgid of an earlier send with the same ``client_msg_id`` (10 minutes)."""
    if not client_msg_id:
        return None
    earlier = state.template_client_ids.get((openid, str(client_msg_id)))
    if earlier and state.now() - earlier[1] < state.config.template_dedup_seconds:
        return earlier[0]
    return None


def _finish_event(state: EmulatorState, openid: str, msgid: int) -> dict[str, Any]:
    """The ``TEMPLATESENDJOBFINISH`` event WeChat posts after delivery."""
    return {
        "ToUserName": state.webhook.original_id,
        "FromUserName": openid,
        "CreateTime": int(state.now()),
        "MsgType": "event",
        "Event": "TEMPLATESENDJOBFINISH",
        "MsgID": msgid,
        "Status": "success",
    }


@bp.post("/cgi-bin/message/template/send")
def send_template() -> ResponseReturnValue:
    """A template message; reports delivery with ``TEMPLATESENDJOBFINISH``."""
    body = json_body()
    state = current_state()
    with state.lock:
        user = _recipient(state, body.get("touser"))
        card = render_template(state, body)
        if not user.subscribe:
            raise WeChatError(43004)
        earlier = _template_duplicate(state, user.openid, body.get("client_msg_id"))
        if earlier is not None:
            return ok(msgid=earlier)
        msgid = state.next_msgid()
        if body.get("client_msg_id"):
            state.template_client_ids[(user.openid, str(body["client_msg_id"]))] = (msgid, state.now())
        state.record(user.openid, "template", {**card, "msgid": msgid})
        event = _finish_event(state, user.openid, msgid)
    deliver_later(state, event, user.openid)
    return ok(msgid=msgid)


def _subscribe_event(state: EmulatorState, openid: str, template_id: str, msgid: int) -> dict[str, Any]:
    """The ``subscribe_msg_sent_event`` WeChat posts after a subscribe notification."""
    return {
        "ToUserName": state.webhook.original_id,
        "FromUserName": openid,
        "CreateTime": int(state.now()),
        "MsgType": "event",
        "Event": "subscribe_msg_sent_event",
        "SubscribeMsgSentEvent": {
            "List": {"TemplateId": template_id, "MsgID": msgid, "ErrorCode": 0, "ErrorStatus": "success"}
        },
    }


@bp.post("/cgi-bin/message/subscribe/bizsend")
def send_subscribe() -> ResponseReturnValue:
    """A subscribe notification (订阅通知); 43101 when the citizen refused them."""
    body = json_body()
    state = current_state()
    with state.lock:
        user = _recipient(state, body.get("touser"))
        card = render_template(state, body)
        if not user.subscribe:
            raise WeChatError(43004)
        if user.subscribe_refused:
            raise WeChatError(43101)
        msgid = state.next_msgid()
        state.record(user.openid, "subscribe", {**card, "msgid": msgid})
        event = _subscribe_event(state, user.openid, card["template_id"], msgid)
    deliver_later(state, event, user.openid)
    return ok(msgid=msgid)


@bp.get("/cgi-bin/template/get_all_private_template")
def list_templates() -> ResponseReturnValue:
    """The account's template messages."""
    state = current_state()
    with state.lock:
        templates = list(state.templates.values())
    return {
        "template_list": [
            {
                "template_id": t.id,
                "title": t.title,
                "primary_industry": "政府与公共事业",
                "deputy_industry": "政府与公共事业",
                "content": t.content(),
                "example": "",
            }
            for t in templates
        ]
    }


@bp.get("/wxaapi/newtmpl/gettemplate")
def list_subscribe_templates() -> ResponseReturnValue:
    """The account's subscribe-notification templates (the same catalogue here)."""
    state = current_state()
    with state.lock:
        templates = list(state.templates.values())
    data = [
        {"priTmplId": t.id, "title": t.title, "content": t.content(), "example": "", "type": 2}
        for t in templates
    ]
    return {"errcode": 0, "errmsg": "ok", "data": data}
