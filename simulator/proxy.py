"""Calls from the simulator blueprint to the WeChat API emulator.

The browser never talks to the emulator directly (it may listen on another
port or host); every call goes through here, and an unreachable emulator
becomes one clear Chinese message.
"""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app, request

DEFAULT_API_BASE = "http://127.0.0.1:8081"
# WeChat waits 5 s per attempt and a retried message is posted 3 times.
SEND_TIMEOUT = 20.0
ADMIN_TIMEOUT = 5.0


class EmulatorUnavailable(Exception):
    """The emulator did not answer; the message says how to start it."""


def api_base() -> str:
    """The emulator's base URL from ``WECHAT_API_BASE``."""
    return str(current_app.config.get("WECHAT_API_BASE") or DEFAULT_API_BASE).rstrip("/")


def unavailable_message() -> str:
    """What the page shows when the emulator cannot be reached."""
    return (
        f"无法连接微信接口模拟器（{api_base()}）。"
        "请先启动模拟器：python -m emulator --port 8081，然后刷新本页。"
    )


def call(method: str, path: str, timeout: float = ADMIN_TIMEOUT, **kwargs: Any) -> requests.Response:
    """One HTTP call to the emulator; raises :class:`EmulatorUnavailable`."""
    try:
        return requests.request(method, api_base() + path, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise EmulatorUnavailable(unavailable_message()) from exc


def _setting(name: str, default: str) -> str:
    """A WeChat setting of the service: Flask config first, then the typed settings."""
    if current_app.config.get(name):
        return str(current_app.config[name])
    settings = current_app.extensions.get("settings")
    return str(getattr(settings, name, "") or default)


def webhook_settings() -> dict[str, str]:
    """Where the emulator should post: this service's ``/wechat``, with its token and key."""
    url = current_app.config.get("SIMULATOR_WEBHOOK_URL") or request.host_url.rstrip("/") + "/wechat"
    return {
        "url": str(url),
        "token": _setting("WECHAT_TOKEN", ""),
        "aes_key": _setting("WECHAT_AES_KEY", ""),
        "appid": _setting("WECHAT_APPID", "wx_demo_appid"),
        "original_id": _setting("WECHAT_ACCOUNT_ID", "gh_demo"),
    }


def ensure_webhook() -> dict[str, Any]:
    """Point the emulator at this service when it has no webhook yet; its settings."""
    current = call("GET", "/_admin/webhook").json()
    if current.get("url"):
        return current
    return call("POST", "/_admin/webhook", json=webhook_settings()).json()
