"""Access tokens: ``/cgi-bin/token``, ``/cgi-bin/stable_token`` and the check every API call makes.

WeChat's rules reproduced here: a token lives ``expires_in`` seconds (7200);
fetching a new one through ``/cgi-bin/token`` makes the previous ones invalid
after a grace period (about 5 minutes); ``/cgi-bin/token`` allows 2000 fetches
a day (45009 after that). ``/cgi-bin/stable_token`` hands out its own token,
the same one until it is close to expiry; ``force_refresh`` replaces it, at
most 20 times a day and once every 30 seconds.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from emulator.errors import WeChatError, json_body
from emulator.state import EmulatorState, current_state

bp = Blueprint("emulator_tokens", __name__)

TOKEN_SHAPE = re.compile(r"^[0-9]+_[A-Za-z0-9_-]{40,}$")

# API paths that do not take an access_token.
TOKENLESS_PATHS = {"/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/showqrcode"}


@dataclass
class IssuedToken:
    """One access token and its life."""

    value: str
    kind: str
    issued_at: float
    expires_at: float
    superseded_at: float | None = None


def _new_token(state: EmulatorState, kind: str) -> IssuedToken:
    """Mint a token that looks like WeChat's (``86_`` + a long random string)."""
    now = state.now()
    value = f"86_{secrets.token_urlsafe(96)}"
    token = IssuedToken(value, kind, now, now + state.config.token_ttl)
    state.tokens[value] = token
    return token


def _supersede(state: EmulatorState, kind: str, now: float) -> None:
    """Start the grace period of every live token of ``kind``."""
    for token in state.tokens.values():
        if token.kind == kind and token.superseded_at is None:
            token.superseded_at = now


def check_credentials(state: EmulatorState, appid: str | None, secret: str | None) -> None:
    """Raise WeChat's error for a missing or wrong appid / secret."""
    if not appid:
        raise WeChatError(41002)
    if appid != state.config.appid:
        raise WeChatError(40013)
    if not secret:
        raise WeChatError(41004)
    if secret != state.config.secret:
        raise WeChatError(40125)


def _token_answer(token: IssuedToken, now: float) -> ResponseReturnValue:
    """WeChat's success answer for both token endpoints."""
    return jsonify({"access_token": token.value, "expires_in": int(token.expires_at - now)})


@bp.get("/cgi-bin/token")
def get_token() -> ResponseReturnValue:
    """``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=``."""
    state = current_state()
    args = request.args
    if args.get("grant_type") != "client_credential":
        raise WeChatError(40002)
    check_credentials(state, args.get("appid"), args.get("secret"))
    with state.lock:
        today = state.today()
        if state.token_fetches[today] >= state.config.token_daily_limit:
            raise WeChatError(45009)
        state.token_fetches[today] += 1
        now = state.now()
        _supersede(state, "token", now)
        token = _new_token(state, "token")
        return _token_answer(token, now)


@bp.post("/cgi-bin/stable_token")
def stable_token() -> ResponseReturnValue:
    """``POST /cgi-bin/stable_token`` with JSON ``grant_type, appid, secret, force_refresh``."""
    state = current_state()
    body = json_body()
    if body.get("grant_type") != "client_credential":
        raise WeChatError(40002)
    check_credentials(state, body.get("appid"), body.get("secret"))
    with state.lock:
        state.stats["stable_token_fetches"] += 1
        now = state.now()
        if body.get("force_refresh"):
            token = _force_refresh_stable(state, now)
        else:
            token = _current_stable(state, now)
        return _token_answer(token, now)


def _current_stable(state: EmulatorState, now: float) -> IssuedToken:
    """The stable token, renewed only when less than the grace period is left."""
    token = state.tokens.get(state.stable_token or "")
    if token is None or token.expires_at - now <= state.config.token_grace:
        token = _new_token(state, "stable")
        state.stable_token = token.value
    return token


def _force_refresh_stable(state: EmulatorState, now: float) -> IssuedToken:
    """A new stable token at once, within the force-refresh limits."""
    today = state.today()
    if state.stable_force[today] >= state.config.stable_force_daily_limit:
        raise WeChatError(45009)
    last = state.last_stable_force_at
    if last is not None and now - last < state.config.stable_force_interval:
        raise WeChatError(45011)
    state.stable_force[today] += 1
    state.last_stable_force_at = now
    _supersede(state, "stable", now)
    token = _new_token(state, "stable")
    state.stable_token = token.value
    return token


def check_access_token(state: EmulatorState, value: str | None) -> None:
    """Raise WeChat's error unless ``value`` is a live access token."""
    if not value:
        raise WeChatError(41001)
    with state.lock:
        token = state.tokens.get(value)
        if token is None:
            raise WeChatError(40001 if TOKEN_SHAPE.match(value) else 40014)
        now = state.now()
        if now >= token.expires_at:
            raise WeChatError(42001)
        superseded = token.superseded_at
        if superseded is not None and now >= superseded + state.config.token_grace:
            raise WeChatError(40001)


def token_stats(state: EmulatorState) -> dict[str, Any]:
    """Token fetch counters for ``/_admin/stats``."""
    with state.lock:
        return {
            "today": state.token_fetches[state.today()],
            "total": sum(state.token_fetches.values()),
            "stable": state.stats["stable_token_fetches"],
            "stable_force_today": state.stable_force[state.today()],
        }
