"""Settings of the WeChat API emulator.

Values come from, in order of precedence: the ``config`` dict given to
:func:`emulator.app.create_app`, then ``EMU_*`` environment variables, then the
defaults below. Keys of the dict are the lower-case names without the ``EMU_``
prefix (``{"token_ttl": 60}`` overrides ``EMU_TOKEN_TTL``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field, fields
from typing import Any


def _split(raw: str) -> list[str]:
    """A comma-separated env value as a list of non-empty trimmed items."""
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass
class EmulatorConfig:
    """Everything the emulator can be told at start-up."""

    appid: str = "wx_demo_appid"
    secret: str = "demo_secret"
    original_id: str = "gh_demo"
    token_ttl: int = 7200
    token_grace: int = 300
    token_daily_limit: int = 2000
    stable_force_daily_limit: int = 20
    stable_force_interval: int = 30
    webhook_url: str = ""
    webhook_token: str = ""
    webhook_aes_key: str = ""
    webhook_timeout: float = 5.0
    event_delay_ms: int = 200
    latency_ms: int = 0
    fault_rate: float = 0.0
    fault_kinds: list[str] = field(default_factory=lambda: ["-1"])
    fault_seed: int | None = None
    fault_paths: list[str] = field(default_factory=list)
    fault_timeout_seconds: float = 6.0
    mass_monthly_quota: int = 4
    mass_dedup_seconds: int = 86400
    template_dedup_seconds: int = 600
    templates: list[dict[str, Any]] = field(default_factory=list)
    # Where the emulator's clock starts (ISO datetime, naive = Asia/Shanghai; empty: the real time), for a
    # trial whose service runs on CLOCK_NOW: quotas, windows and CreateTime follow it, signatures do not.
    clock_now: str = ""

    def __post_init__(self) -> None:
        """Fail at start-up, not at the first post, on an EncodingAESKey of the wrong shape."""
        if self.webhook_aes_key and len(self.webhook_aes_key) != 43:
            raise ValueError("EMU_WEBHOOK_AES_KEY（EncodingAESKey）必须是 43 个字符，留空则为明文模式")
        if self.clock_now:
            try:
                dt.datetime.fromisoformat(self.clock_now)
            except ValueError:
                raise ValueError("EMU_CLOCK_NOW 必须是 ISO 格式的日期时间，如 2026-10-09T09:00+08:00") from None

    @classmethod
    def load(cls, overrides: dict[str, Any] | None = None) -> EmulatorConfig:
        """Build the settings from env vars, then apply ``overrides``."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = os.environ.get(f"EMU_{spec.name.upper()}")
            if raw is not None and raw != "":
                values[spec.name] = _coerce(spec.name, raw)
        for key, value in (overrides or {}).items():
            name = key.lower().removeprefix("emu_")
            if name in {spec.name for spec in fields(cls)}:
                values[name] = _coerce(name, value) if isinstance(value, str) else value
        return cls(**values)


_INTS = {
    "token_ttl",
    "token_grace",
    "token_daily_limit",
    "stable_force_daily_limit",
    "stable_force_interval",
    "event_delay_ms",
    "latency_ms",
    "mass_monthly_quota",
    "mass_dedup_seconds",
    "template_dedup_seconds",
}
_FLOATS = {"fault_rate", "webhook_timeout", "fault_timeout_seconds"}
_LISTS = {"fault_kinds", "fault_paths"}


def _coerce(name: str, raw: str) -> Any:
    """Turn the text of an env var into the type of the setting ``name``."""
    if name in _INTS:
        return int(raw)
    if name in _FLOATS:
        return float(raw)
    if name in _LISTS:
        return _split(raw)
    if name == "templates":
        return json.loads(raw)
    if name == "fault_seed":
        return int(raw)
    return raw
