"""The WeChat API emulator: ``api.weixin.qq.com`` and WeChat's servers, in one local process.

No machine of the project can reach WeChat, so the service talks to this
emulator instead (``WECHAT_API_BASE``). It reproduces WeChat's rules (tokens,
menu limits, the 48-hour window, template rules, mass quotas), posts signed and
encrypted XML to the service's webhook for the phone simulator, and records
every message a citizen's phone would show. See ``docs/emulator.md``.
"""

from __future__ import annotations

from emulator.app import create_app

__all__ = ["create_app"]
