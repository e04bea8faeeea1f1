"""Error pages and JSON errors in Chinese; unexpected errors are logged, not shown."""

from __future__ import annotations

import structlog
from flask import Flask, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

log = structlog.get_logger("errors")

MESSAGES = {
    400: "请求格式有误。",
    403: "您没有权限访问此页面。",
    404: "页面不存在。",
    405: "不支持的请求方式。",
    413: "提交的内容过大。",
    429: "操作过于频繁，请稍后再试。",
    500: "服务器出现问题，我们已记录并会尽快处理。",
}


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = MESSAGES.get(exc.code or 500, exc.description or "")
        if request.path.startswith("/wechat"):
            return "success" if exc.code and exc.code >= 500 else message, exc.code
        return _page(exc.code or 500, message), exc.code

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        # The view's own page when its limit declared one (the login form, the pass page's notice).
        return exc.response if exc.response is not None else _http_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled_error", path=request.path)
        if request.path.startswith("/wechat"):
            return "success", 200
        return _page(500, MESSAGES[500]), 500


def _page(code: int, message: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{code}</title><body style='font-family:sans-serif;padding:2em'>"
        f"<h1>{code}</h1><p>{message}</p><p><a href='/console/'>返回工作台</a></p></body></html>"
    )
