"""Routes of the phone simulator: the page and a small JSON API proxied to the emulator."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from simulator import proxy
from simulator.proxy import EmulatorUnavailable

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


# WeChat openids are 28 characters of letters, digits, "-" and "_"; test citizens are shorter.
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
BAD_OPENID = {"error": "bad_request", "message": "openid 只能包含字母、数字、“-”和“_”（最长 64 位）"}


def _openid(value: Any) -> str | None:
    """``value`` when it is a well-formed openid (it ends up in emulator paths), else None."""
    text = str(value or "")
    return text if OPENID.fullmatch(text) else None


@bp.errorhandler(EmulatorUnavailable)
def emulator_unavailable(error: EmulatorUnavailable) -> ResponseReturnValue:
    """The page shows this message in a banner."""
    return {"error": "emulator_unavailable", "message": str(error)}, 502


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    """The chat page; ``?openid=`` picks the citizen."""
    return render_template(
        "simulator/index.html",
        openid=_openid(request.args.get("openid")) or "",
        nickname=request.args.get("nickname", ""),
        account_name=current_app.config.get("SIMULATOR_ACCOUNT_NAME", "大兴政民互动"),
        api_base=proxy.api_base(),
    )


@bp.get("/api/status")
def status() -> ResponseReturnValue:
    """Whether the emulator answers, and where it posts."""
    ping = proxy.call("GET", "/_admin/ping").json()
    webhook = proxy.ensure_webhook()
    return {"ok": True, "epoch": ping.get("epoch"), "webhook": webhook.get("url"), "mode": webhook.get("mode")}


@bp.get("/api/menu")
def menu() -> ResponseReturnValue:
    """The menu the service pushed to the emulator."""
    return proxy.call("GET", "/_admin/menu").json()


@bp.get("/api/user")
def user() -> ResponseReturnValue:
    """What WeChat knows about the citizen (following or not)."""
    openid = request.args.get("openid", "")
    if not openid:
        return {"error": "bad_request", "message": "缺少 openid"}, 400
    if _openid(openid) is None:
        return BAD_OPENID, 400
    response = proxy.call("GET", f"/_admin/users/{quote(openid, safe='')}")
    if response.status_code == 404:
        return {"openid": openid, "subscribe": False, "known": False}
    return {**response.json(), "known": True}


@bp.post("/api/send")
def send() -> ResponseReturnValue:
    """What the citizen did, posted by the emulator to the service's webhook."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"error": "bad_request", "message": "请求体必须是 JSON 对象"}, 400
    if "openid" in body and _openid(body["openid"]) is None:
        return BAD_OPENID, 400
    proxy.ensure_webhook()
    response = proxy.call("POST", "/_phone/send", timeout=proxy.SEND_TIMEOUT, json=body)
    return response.json(), response.status_code


@bp.get("/api/inbox")
def inbox() -> ResponseReturnValue:
    """Messages that reached the citizen's phone after ``since_id``."""
    params = {"openid": request.args.get("openid", ""), "since_id": request.args.get("since_id", "0")}
    if not params["openid"]:
        return {"error": "bad_request", "message": "缺少 openid"}, 400
    if _openid(params["openid"]) is None:
        return BAD_OPENID, 400
    if not params["since_id"].isdigit():
        return {"error": "bad_request", "message": "since_id 必须是数字"}, 400
    response = proxy.call("GET", "/_admin/messages", params=params)
    return jsonify({"messages": response.json(), "epoch": response.headers.get("X-Emulator-Epoch")})
