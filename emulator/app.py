"""The WeChat API emulator: a small Flask app that answers like ``api.weixin.qq.com``.

``create_app(config)`` builds it; ``python -m emulator --port N`` serves it.
See ``docs/emulator.md`` for the endpoints, the admin API and fault injection.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request

from emulator import admin, admin_users, mass, menu, messages, oauth, phone, tokens, users
from emulator.config import EmulatorConfig
from emulator.errors import WeChatError, error_response
from emulator.faults import inject_faults
from emulator.state import EmulatorState, current_state

API_PREFIXES = ("/cgi-bin/", "/wxaapi/")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the emulator; ``config`` overrides ``EMU_*`` environment variables."""
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    settings = EmulatorConfig.load(config)
    app.extensions["wechat_emulator"] = EmulatorState(settings)
    register_hooks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    return app


def register_hooks(app: Flask) -> None:
    """Count calls, inject faults, then check the access token, in that order."""
    app.before_request(count_call)
    app.before_request(inject_faults)
    app.before_request(require_access_token)


def register_blueprints(app: Flask) -> None:
    """One blueprint per API area, plus the phone and the admin API."""
    for module in (tokens, menu, users, messages, mass, phone, oauth, admin, admin_users):
        app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    """WeChat errors become WeChat's JSON with HTTP 200; unknown API paths too."""
    app.register_error_handler(WeChatError, error_response)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_found)
    app.register_error_handler(Exception, system_error)


def count_call() -> None:
    """Count the call per path for ``/_admin/stats``."""
    state = current_state()
    with state.lock:
        state.endpoint_calls[request.path] += 1


def require_access_token() -> Response | None:
    """Every WeChat API call needs a live ``access_token`` (41001 / 40001 / 40014 / 42001)."""
    if not request.path.startswith(API_PREFIXES) or request.path in tokens.TOKENLESS_PATHS:
        return None
    tokens.check_access_token(current_state(), request.args.get("access_token"))
    return None


def system_error(error: Exception) -> Any:
    """A bug in the emulator: logged, and answered like WeChat's ``-1 system error``."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("emulator error on %s", request.path)
    return error_response(WeChatError(-1))


def not_found(error: Exception) -> Any:
    """WeChat answers an unknown API with ``48001`` (HTTP 200); other paths get a 404."""
    if request.path.startswith(API_PREFIXES):
        return error_response(WeChatError(48001))
    return {"error": "not_found", "message": "没有这个接口", "path": request.path}, 404
