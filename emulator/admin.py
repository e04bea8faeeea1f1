"""The admin API (``/_admin/...``): what tests and the phone simulator use to look inside.

Never subject to fault injection; answers use plain HTTP statuses (400 for a
bad request), unlike WeChat's API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from emulator.catalog import Template
from emulator.faults import apply_settings, settings_from_json
from emulator.state import FaultSettings, current_state
from emulator.tokens import token_stats

bp = Blueprint("emulator_admin", __name__, url_prefix="/_admin")


def _bad(message: str) -> ResponseReturnValue:
    """A 400 answer with a Chinese message."""
    return {"error": "bad_request", "message": message}, 400


def _body() -> dict[str, Any]:
    """The JSON object of the request (empty when there is none)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/ping")
def ping() -> ResponseReturnValue:
    """Liveness, for the simulator's "is the emulator up" check."""
    state = current_state()
    return {"ok": True, "epoch": state.epoch, "appid": state.config.appid}


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    """Everything sent to phones, in order; ``openid``, ``since_id`` and ``kind`` filter."""
    state = current_state()
    try:
        since_id = int(request.args.get("since_id") or 0)
    except ValueError:
        return _bad("since_id 必须是整数")
    found = state.messages(request.args.get("openid") or None, since_id, request.args.get("kind"))
    response = jsonify(found)
    response.headers["X-Emulator-Epoch"] = state.epoch
    return response


@bp.post("/reset")
def reset() -> ResponseReturnValue:
    """Forget all state (tokens, users, menu, messages, faults, clock); keep the webhook."""
    state = current_state()
    state.reset()
    return {"ok": True, "epoch": state.epoch}


@bp.get("/menu")
def menu() -> ResponseReturnValue:
    """The menu the service pushed (``{"menu": null}`` when none)."""
    state = current_state()
    with state.lock:
        return {"menu": state.menu}


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    """Call counts per endpoint, token fetches, injected faults, webhook posts."""
    state = current_state()
    with state.lock:
        return {
            "endpoints": dict(state.endpoint_calls),
            "token_fetches": token_stats(state),
            "faults_injected": state.stats["faults_injected"],
            "faults_by_kind": {
                key.removeprefix("fault:"): n for key, n in state.stats.items() if key.startswith("fault:")
            },
            "webhook_posts": state.stats["webhook_posts"],
            "messages": len(state.records),
            "followers": sum(1 for u in state.users.values() if u.subscribe),
        }


@bp.route("/clock", methods=["GET", "POST"])
def clock() -> ResponseReturnValue:
    """Read or move the emulator's clock: ``offset_seconds`` sets, ``advance_seconds`` adds."""
    state = current_state()
    body = _body()
    with state.lock:
        if "offset_seconds" in body:
            state.clock_offset = float(body["offset_seconds"])
        if "advance_seconds" in body:
            state.clock_offset += float(body["advance_seconds"])
        return {"offset_seconds": state.clock_offset, "now": state.now(), "local": state.local_now().isoformat()}


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> ResponseReturnValue:
    """Read, set (JSON, merged with the current settings) or clear fault injection."""
    state = current_state()
    if request.method == "DELETE":
        apply_settings(state, FaultSettings(timeout_seconds=state.config.fault_timeout_seconds))
    elif request.method == "POST":
        try:
            apply_settings(state, settings_from_json(_body(), state.faults))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    return state.faults.to_dict()


@bp.route("/webhook", methods=["GET", "POST"])
def webhook() -> ResponseReturnValue:
    """Read or change where the emulator posts (``url``, ``token``, ``aes_key``, ``appid``)."""
    state = current_state()
    body = _body()
    aes_key = body.get("aes_key")
    if aes_key and len(aes_key) != 43:
        return _bad("aes_key（EncodingAESKey）必须是 43 个字符")
    with state.lock:
        for name in ("url", "token", "aes_key", "appid", "original_id", "timeout"):
            if name in body:
                setattr(state.webhook, name, body[name] if name != "timeout" else float(body[name]))
        return state.webhook.to_dict()


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    """Posts made to the webhook (events and phone messages); ``since_id``, ``event`` filter."""
    state = current_state()
    since_id = int(request.args.get("since_id") or 0)
    event = request.args.get("event")
    with state.lock:
        found = [
            d for d in state.deliveries if d["id"] > since_id and (event is None or d.get("event") == event)
        ]
    return jsonify(found)


@bp.route("/templates", methods=["GET", "POST"])
def templates() -> ResponseReturnValue:
    """List the templates or add one: ``{"id", "title", "fields": [{"key", "label"}]}``."""
    state = current_state()
    if request.method == "POST":
        try:
            template = Template.from_dict(_body())
        except (KeyError, TypeError) as exc:
            return _bad(f"模板格式不正确：{exc}")
        with state.lock:
            state.templates[template.id] = template
    with state.lock:
        return jsonify([t.to_dict() for t in state.templates.values()])
