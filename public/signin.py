"""Signing citizens in through WeChat web authorisation (网页授权, ``snsapi_base``).

A page that needs the citizen (``@citizen_required``) redirects to WeChat's
authorise page with a ``state`` bound to this browser's session; WeChat sends
the browser back to ``/wx/oauth`` with a ``code``, which the service exchanges
for the openid (wechatpy's ``WeChatOAuth``). The openid is kept in the signed,
HttpOnly, SameSite session cookie, never in a URL, for
``CITIZEN_SESSION_MINUTES``. A wrong or missing ``state`` is refused; a code
WeChat calls used (40163) or invalid (40029) restarts the authorisation once,
then the page explains.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable

import requests
import structlog
from flask import current_app, g, redirect, render_template, request, session, url_for
from wechatpy.exceptions import WeChatOAuthException

from public import bp
from services.calendar import clock
from services.messaging import wechat_client
from services.privacy import hash_openid

log = structlog.get_logger("public.signin")

OPENID, SINCE = "citizen_openid", "citizen_since"
STATE, NEXT, RETRIED = "oauth_state", "oauth_next", "oauth_retried"
RESTART_CODES = frozenset({40029, 40163})  # invalid code, code already used


def current_openid() -> str | None:
    """The signed-in citizen's openid, or None (never signed in, or the session has expired)."""
    openid, since = session.get(OPENID), session.get(SINCE)
    if not openid or since is None:
        return None
    minutes = current_app.extensions["settings"].CITIZEN_SESSION_MINUTES
    if clock.now().timestamp() - float(since) > minutes * 60:
        session.pop(OPENID, None)
        session.pop(SINCE, None)
        return None
    return openid


def citizen_required(view: Callable) -> Callable:
    """Run ``view`` with ``g.openid`` set; otherwise authorise through WeChat first."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        openid = current_openid()
        if openid is None:
            target = request.full_path if request.method == "GET" else request.path
            return start_authorisation(target.rstrip("?"))
        g.openid = openid
        return view(*args, **kwargs)

    return wrapped


def start_authorisation(next_path: str):
    """Redirect to WeChat's authorise page; ``next_path`` is where the citizen goes afterwards."""
    settings = current_app.extensions["settings"]
    state = secrets.token_urlsafe(16)
    session[STATE] = state
    session[NEXT] = _local(next_path)
    client = wechat_client.oauth_client(settings, settings.PUBLIC_BASE_URL + url_for("public.oauth_return"), state)
    return redirect(client.authorize_url)


def _local(path: str) -> str:
    """``path`` if it is a path on this site, else the citizen's applications."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return url_for("public.my_applications")


def _refused(message: str, status: int = 400):
    return render_template("public/signin_failed.html", message=message), status


@bp.get("/wx/oauth")
def oauth_return():
    """WeChat sends the browser back here with ``code`` and ``state``."""
    expected = session.pop(STATE, None)
    given = request.args.get("state", "")
    if not expected or not hmac.compare_digest(expected, given):
        return _refused("链接已失效或不是从本公众号打开的。请回到公众号，从菜单重新打开。")
    settings = current_app.extensions["settings"]
    try:
        result = wechat_client.oauth_client(settings, "").fetch_access_token(request.args.get("code", ""))
    except WeChatOAuthException as error:
        if error.errcode in RESTART_CODES and not session.get(RETRIED):
            session[RETRIED] = True
            return start_authorisation(session.get(NEXT) or url_for("public.my_applications"))
        log.warning("oauth.refused", errcode=error.errcode)
        return _refused("微信授权未成功，请关闭本页后从公众号菜单重新打开。")
    except requests.RequestException:
        log.warning("oauth.unreachable")
        return _refused("暂时无法连接微信，请稍后再试。", 503)
    session.pop(RETRIED, None)
    session[OPENID], session[SINCE] = result["openid"], clock.now().timestamp()
    log.info("oauth.signed_in", openid=hash_openid(result["openid"]))
    return redirect(session.pop(NEXT, None) or url_for("public.my_applications"))
