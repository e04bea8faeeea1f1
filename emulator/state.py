"""The emulator's whole memory: one object per app, guarded by one lock.

Every handler takes ``state.lock`` around its reads and writes. Nothing slow
(HTTP to the webhook, sleeping) ever happens while the lock is held: the
service answers a webhook post by calling the emulator back, and that call
must not wait for the post that caused it.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulator import clock
from emulator.catalog import Template, load_templates
from emulator.config import EmulatorConfig
from emulator.followers import Follower

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Record:
    """One message that reached a citizen's phone."""

    id: int
    openid: str
    kind: str
    payload: dict[str, Any]
    at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``/_admin/messages``; ``at`` in Asia/Shanghai ISO format."""
        return {
            "id": self.id,
            "openid": self.openid,
            "kind": self.kind,
            "payload": self.payload,
            "at": dt.datetime.fromtimestamp(self.at, SHANGHAI).isoformat(timespec="seconds"),
        }


@dataclass
class WebhookSettings:
    """Where and how the emulator posts to the service (``/wechat``)."""

    url: str = ""
    token: str = ""
    aes_key: str = ""
    appid: str = ""
    original_id: str = "gh_demo"
    timeout: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the admin API."""
        return {
            "url": self.url,
            "token": self.token,
            "aes_key": self.aes_key,
            "appid": self.appid,
            "original_id": self.original_id,
            "timeout": self.timeout,
            "mode": "aes" if self.aes_key else "plain",
        }


@dataclass
class FaultSettings:
    """Injected latency and failures (see :mod:`emulator.faults`)."""

    latency_ms: int = 0
    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: ["-1"])
    seed: int | None = None
    paths: list[str] = field(default_factory=list)
    timeout_seconds: float = 6.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the admin API."""
        return {
            "latency_ms": self.latency_ms,
            "rate": self.rate,
            "kinds": self.kinds,
            "seed": self.seed,
            "paths": self.paths,
            "timeout_seconds": self.timeout_seconds,
        }


class EmulatorState:
    """All in-memory state of one emulator process."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.webhook = WebhookSettings(
            url=config.webhook_url,
            token=config.webhook_token,
            aes_key=config.webhook_aes_key,
            appid=config.appid,
            original_id=config.original_id,
            timeout=config.webhook_timeout,
        )
        self.reset()

    def reset(self) -> None:
        """Forget everything except the webhook settings (they are configuration)."""
        with self.lock:
            self.epoch = secrets.token_hex(4)
            self.clock_offset = self._start_offset()
            self.tokens: dict[str, Any] = {}
            self.token_fetches: Counter[str] = Counter()
            self.stable_force: Counter[str] = Counter()
            self.last_stable_force_at: float | None = None
            self.stable_token: str | None = None
            self.menu: dict[str, Any] | None = None
            self.users: dict[str, Follower] = {}
            self.tags: dict[int, str] = {}
            self.next_tag_id = 100
            self.qrcodes: dict[str, dict[str, Any]] = {}
            self.records: list[Record] = []
            self.templates: dict[str, Template] = load_templates(self.config.templates)
            self.mass_jobs: dict[int, dict[str, Any]] = {}
            self.mass_client_ids: dict[str, tuple[int, float]] = {}
            self.template_client_ids: dict[tuple[str, str], tuple[int, float]] = {}
            self.msg_counter = 0
            self.rate_windows: dict[str, list[float]] = {}
            self.stats: Counter[str] = Counter()
            self.endpoint_calls: Counter[str] = Counter()
            self.oauth_codes: dict[str, dict[str, Any]] = {}  # web authorisation codes (emulator.oauth)
            self.oauth_log: list[dict[str, Any]] = []
            self.deliveries: list[dict[str, Any]] = []
            self.faults = self.faults_from_config()
            self.fault_rng = random.Random(self.faults.seed)

    def faults_from_config(self) -> FaultSettings:
        """Fault settings as configured at start-up."""
        cfg = self.config
        return FaultSettings(
            latency_ms=cfg.latency_ms,
            rate=cfg.fault_rate,
            kinds=list(cfg.fault_kinds),
            seed=cfg.fault_seed,
            paths=list(cfg.fault_paths),
            timeout_seconds=cfg.fault_timeout_seconds,
        )

    # --- the one clock -------------------------------------------------------

    def _start_offset(self) -> float:
        """Seconds from the real time to ``EMU_CLOCK_NOW`` (0 when unset): where the clock starts."""
        if not self.config.clock_now:
            return 0.0
        start = dt.datetime.fromisoformat(self.config.clock_now)
        if start.tzinfo is None:
            start = start.replace(tzinfo=SHANGHAI)
        return start.timestamp() - clock.real_seconds()

    def now(self) -> float:
        """The emulator's time (Unix seconds), shifted by ``EMU_CLOCK_NOW`` and ``/_admin/clock``.

        What WeChat signs (a push's ``timestamp``) is the real time instead: :func:`emulator.webhook.signed_request`.
        """
        return clock.real_seconds() + self.clock_offset

    def local_now(self) -> dt.datetime:
        """The emulator's time as an Asia/Shanghai datetime (days, months)."""
        return dt.datetime.fromtimestamp(self.now(), SHANGHAI)

    def today(self) -> str:
        """Today's date in Asia/Shanghai: WeChat's daily quotas reset at midnight."""
        return self.local_now().date().isoformat()

    def month(self) -> str:
        """The calendar month (``2024-05``) for the monthly mass-send quota."""
        return self.local_now().strftime("%Y-%m")

    # --- ids, followers, records ---------------------------------------------

    def next_msgid(self) -> int:
        """A fresh message id; WeChat's are large integers."""
        with self.lock:
            self.msg_counter += 1
            return 2_600_000_000 + self.msg_counter

    def follower(self, openid: str, create: bool = False) -> Follower | None:
        """The follower with ``openid``; ``create`` adds an unknown citizen."""
        with self.lock:
            user = self.users.get(openid)
            if user is None and create:
                user = self.users[openid] = Follower(openid=openid)
            return user

    def record(self, openid: str, kind: str, payload: dict[str, Any]) -> Record:
        """Keep a message that reached ``openid``'s phone."""
        with self.lock:
            entry = Record(len(self.records) + 1, openid, kind, payload, self.now())
            self.records.append(entry)
            return entry

    def messages(
        self, openid: str | None = None, since_id: int = 0, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Recorded messages in order, filtered like ``/_admin/messages``."""
        with self.lock:
            return [
                r.to_dict()
                for r in self.records
                if r.id > since_id
                and (openid is None or r.openid == openid)
                and (kind is None or r.kind == kind)
            ]

    def add_delivery(self, entry: dict[str, Any]) -> None:
        """Log one post to the webhook (events and phone messages)."""
        with self.lock:
            entry["id"] = len(self.deliveries) + 1
            self.deliveries.append(entry)
            self.stats["webhook_posts"] += 1


def current_state() -> EmulatorState:
    """The state of the emulator app handling the current request."""
    from flask import current_app

    return current_app.extensions["wechat_emulator"]
