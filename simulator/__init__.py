"""The phone simulator: a WeChat-like chat with the official account, for development.

The page talks to the WeChat API emulator (``WECHAT_API_BASE``) through this
blueprint, the way a phone talks to WeChat's servers: the emulator posts to the
service's ``/wechat`` webhook and records what reaches the phone.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Mount the simulator at ``/simulator`` (the app decides whether to call this)."""
    from simulator.views import bp

    app.register_blueprint(bp)
