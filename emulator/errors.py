"""WeChat's error codes and the exception that turns into WeChat's JSON answer.

WeChat answers HTTP 200 with ``{"errcode": N, "errmsg": "..."}`` even for
errors; the messages below are the ones WeChat's API sends (English, with the
``rid`` hint it appends left out).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40029: "invalid code",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40053: "invalid action info",
    40059: "invalid msg id",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    40163: "code been used",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41009: "missing openid",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45002: "content size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mostly 200 times per minute",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota",
    45047: "out of response count limit",
    45056: "too many tags",
    45057: "can't delete the tag that has too many fans",
    45058: "can't modify sys tag",
    45065: "clientmsgid exist",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
}


class WeChatError(Exception):
    """An error WeChat would answer with; raised anywhere inside a handler."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "unknown error")
        self.extra = extra
        super().__init__(f"{errcode} {self.errmsg}")

    def body(self) -> dict[str, Any]:
        """The JSON object WeChat would send."""
        return {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra}


def ok(**extra: Any) -> Response:
    """WeChat's success answer, with any extra fields (``msgid``, ``tag``...)."""
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def error_response(error: WeChatError) -> Response:
    """WeChat answers errors with HTTP 200 and a JSON body."""
    return jsonify(error.body())


def json_body() -> dict[str, Any]:
    """The request's JSON object, or WeChat's 44002 (empty) / 47001 (not JSON).

    WeChat SDKs post UTF-8 JSON without a JSON content type, so the body is
    parsed whatever the header says.
    """
    from flask import request

    raw = request.get_data()
    if not raw.strip():
        raise WeChatError(44002)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WeChatError(47001) from None
    if not isinstance(body, dict):
        raise WeChatError(47001)
    return body
