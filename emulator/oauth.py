"""Web authorisation (网页授权): the authorise page and the code exchange.

A page the citizen opens inside WeChat redirects to
``/connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=``.
WeChat knows who is holding the phone; here the phone is whoever
``/_phone/open`` (the simulator's in-app browser) last opened a page as, kept
in a cookie on the emulator. ``snsapi_base`` redirects back at once with a
``code``; ``snsapi_userinfo`` first shows a consent screen. The service then
exchanges the code at ``/sns/oauth2/access_token``: a code is single-use
(40163 the second time), lives five minutes, and an unknown one is 40029.
Every authorisation is recorded (``/_admin/oauth``).
"""

from __future__ import annotations

import re
import secrets
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from emulator.errors import WeChatError
from emulator.state import current_state
from emulator.tokens import check_credentials

bp = Blueprint("emulator_oauth", __name__)

PHONE_COOKIE = "emu_phone_openid"
CODE_SECONDS = 300
SCOPES = ("snsapi_base", "snsapi_userinfo")
OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f'<style>body{{font-family:sans-serif;margin:2em 1.2em;line-height:1.6}}'
            f'button{{font-size:1.1em;padding:.6em 1.6em}}</style></head><body>{body}</body></html>')
    return Response(html, status=status, mimetype="text/html")


@bp.get("/_phone/open")
def phone_open() -> ResponseReturnValue:
    """The in-app browser of ``openid``'s phone opens ``url`` (any later authorisation is theirs)."""
    openid, url = request.args.get("openid", ""), request.args.get("url", "")
    if not OPENID.match(openid) or urlsplit(url).scheme not in ("http", "https"):
        return _page("无法打开", "<p>链接无效。</p>", 400)
    response = redirect(url)
    response.set_cookie(PHONE_COOKIE, openid, httponly=True, samesite="Lax")
    return response


@bp.get("/connect/oauth2/authorize")
def authorize() -> ResponseReturnValue:
    """WeChat's authorise page: silent for ``snsapi_base``, a consent screen for ``snsapi_userinfo``."""
    args = request.args
    state = current_state()
    redirect_uri, scope = args.get("redirect_uri", ""), args.get("scope", "")
    if args.get("appid") != state.config.appid:
        return _page("授权失败", "<p>公众号参数错误（appid 无效）。</p>", 400)
    if args.get("response_type") != "code" or scope not in SCOPES or urlsplit(redirect_uri).scheme not in (
            "http", "https"):
        return _page("授权失败", "<p>授权参数错误。</p>", 400)
    openid = request.cookies.get(PHONE_COOKIE, "")
    if not OPENID.match(openid):
        return _page("请在微信客户端打开链接", "<p>请在微信客户端打开链接。</p>", 403)
    if scope == "snsapi_userinfo":
        consent = urlencode({**args, "openid": openid})
        return _page("授权", (
            "<p>该网页将获取你的公开信息（昵称、头像）。</p>"
            f'<form method="post" action="/connect/oauth2/consent?{escape(consent)}">'
            '<button type="submit">允许</button></form>'))
    return redirect(_issue(openid, args, scope))


@bp.post("/connect/oauth2/consent")
def consent() -> ResponseReturnValue:
    """The citizen tapped 允许 on the consent screen."""
    openid = request.cookies.get(PHONE_COOKIE, "")
    if not OPENID.match(openid):
        return _page("请在微信客户端打开链接", "<p>请在微信客户端打开链接。</p>", 403)
    return redirect(_issue(openid, request.args, request.args.get("scope", "snsapi_userinfo")))


def _issue(openid: str, args: Any, scope: str) -> str:
    """A fresh code for ``openid``; the redirect back to the page with ``code`` and ``state``."""
    state = current_state()
    code = secrets.token_urlsafe(24)
    with state.lock:
        state.oauth_codes[code] = {"openid": openid, "scope": scope, "issued": state.now(), "used": False}
        state.oauth_log.append({"openid": openid, "scope": scope, "redirect_uri": args.get("redirect_uri", ""),
                                "state": args.get("state", ""), "at": state.local_now().isoformat(timespec="seconds")})
    target = args.get("redirect_uri", "")
    separator = "&" if "?" in target else "?"
    return f"{target}{separator}{urlencode({'code': code, 'state': args.get('state', '')})}"


@bp.get("/sns/oauth2/access_token")
def exchange() -> ResponseReturnValue:
    """``GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code``."""
    args = request.args
    state = current_state()
    check_credentials(state, args.get("appid"), args.get("secret"))
    if args.get("grant_type") != "authorization_code":
        raise WeChatError(40002)
    with state.lock:
        issued = state.oauth_codes.get(args.get("code", ""))
        if issued is None or state.now() - issued["issued"] > CODE_SECONDS:
            raise WeChatError(40029)
        if issued["used"]:
            raise WeChatError(40163)
        issued["used"] = True
    return jsonify({"access_token": "sns_" + secrets.token_urlsafe(32), "expires_in": 7200,
                    "refresh_token": "snsr_" + secrets.token_urlsafe(32), "openid": issued["openid"],
                    "scope": issued["scope"]})


@bp.get("/_admin/oauth")
def authorisations() -> ResponseReturnValue:
    """Every authorisation the emulator granted, oldest first."""
    state = current_state()
    with state.lock:
        return jsonify({"authorisations": list(state.oauth_log)})
