"""Admin API for followers: ``/_admin/users``.

Tests use it to set up citizens without going through the webhook: who
follows, whether they refused subscribe notifications, their tags, and
whether they just interacted (which opens the customer-service window).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from emulator.followers import Follower
from emulator.state import EmulatorState, current_state

bp = Blueprint("emulator_admin_users", __name__, url_prefix="/_admin/users")

INTERACTIONS = {"message", "click", "subscribe", "scan", "scancode_push", "scancode_waitmsg"}


def _view(state: EmulatorState, user: Follower) -> dict[str, Any]:
    """The admin view of one follower at the emulator's current time."""
    return user.admin_view(state.now(), state.month(), state.config.mass_monthly_quota)


def _apply(state: EmulatorState, user: Follower, body: dict[str, Any]) -> None:
    """Apply the fields of an upsert to ``user``."""
    if "nickname" in body:
        user.nickname = str(body["nickname"])
    if body.get("subscribe", True) and not user.subscribe:
        user.follow(state.now())
    elif not body.get("subscribe", True) and user.subscribe:
        user.unfollow()
    if "subscribe_refused" in body:
        user.subscribe_refused = bool(body["subscribe_refused"])
    if "tags" in body:
        user.tags = {int(tag) for tag in body["tags"] if int(tag) in state.tags}
    if "mass_received_this_month" in body:
        user.mass_received[state.month()] = int(body["mass_received_this_month"])
    interaction = body.get("interaction")
    if interaction == "message":
        user.record_message(state.now())
    elif interaction:
        user.record_event(str(interaction), state.now())


@bp.post("")
def upsert() -> ResponseReturnValue:
    """Create or update a follower.

    JSON: ``openid`` (required), ``nickname``, ``subscribe`` (default true),
    ``subscribe_refused``, ``tags`` (ids), ``mass_received_this_month``,
    ``interaction`` (``"message"`` opens 5 messages / 48 h; ``"click"``,
    ``"subscribe"``, ``"scan"`` open 3 / 1 min).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("openid"):
        return {"error": "bad_request", "message": "缺少 openid"}, 400
    interaction = body.get("interaction")
    if interaction and interaction not in INTERACTIONS:
        return {"error": "bad_request", "message": f"未知的互动类型：{interaction}"}, 400
    state = current_state()
    with state.lock:
        user = state.follower(str(body["openid"]), create=True)
        _apply(state, user, body)
        return _view(state, user)


@bp.get("")
def list_users() -> ResponseReturnValue:
    """Every citizen the emulator knows, followers or not."""
    state = current_state()
    with state.lock:
        return jsonify([_view(state, user) for user in state.users.values()])


@bp.get("/<openid>")
def one_user(openid: str) -> ResponseReturnValue:
    """One citizen, or 404 when the emulator never saw the openid."""
    state = current_state()
    with state.lock:
        user = state.users.get(openid)
        if user is None:
            return {"error": "not_found", "message": "没有这个用户", "openid": openid}, 404
        return _view(state, user)


@bp.post("/<openid>/refusal")
def set_refusal(openid: str) -> ResponseReturnValue:
    """Make the citizen refuse (``{"refused": true}``) or accept subscribe notifications."""
    body = request.get_json(silent=True) or {}
    state = current_state()
    with state.lock:
        user = state.follower(openid, create=True)
        user.subscribe_refused = bool(body.get("refused", True))
        return _view(state, user)
