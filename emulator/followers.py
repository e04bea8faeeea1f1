"""Followers of the emulated account and WeChat's customer-service message rules.

WeChat lets an account answer a citizen with customer-service messages only
after the citizen did something: a message opens 5 messages within 48 hours, a
menu click (``click`` and ``scancode_*`` buttons only), a follow or a QR scan
opens 3 messages within 1 minute. Outside 48 hours of the last such interaction
WeChat answers 45015; inside it, with the allowance used up, 45047.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.errors import WeChatError

WINDOW_SECONDS = 48 * 3600
MESSAGE_QUOTA = 5
EVENT_QUOTA = 3
EVENT_QUOTA_SECONDS = 60

# Events that open the 3-per-minute allowance and keep the 48-hour window open.
QUOTA_EVENTS = {"subscribe", "click", "scan", "scancode_push", "scancode_waitmsg"}


@dataclass
class Grant:
    """An allowance of customer-service messages opened by one interaction."""

    remaining: int
    expires_at: float


@dataclass
class Follower:
    """What WeChat knows about one citizen (one openid) of the account."""

    openid: str
    nickname: str = ""
    subscribe: bool = False
    subscribe_time: int = 0
    subscribe_scene: str = "ADD_SCENE_OTHERS"
    qr_scene: int = 0
    qr_scene_str: str = ""
    remark: str = ""
    language: str = "zh_CN"
    tags: set[int] = field(default_factory=set)
    last_interaction_at: float | None = None
    message_grant: Grant | None = None
    event_grant: Grant | None = None
    subscribe_refused: bool = False
    mass_received: dict[str, int] = field(default_factory=dict)

    def follow(self, now: float, scene: str = "ADD_SCENE_OTHERS") -> None:
        """The citizen followed the account (again)."""
        self.subscribe = True
        self.subscribe_time = int(now)
        self.subscribe_scene = scene

    def unfollow(self) -> None:
        """The citizen unfollowed; WeChat forgets the open allowances."""
        self.subscribe = False
        self.message_grant = None
        self.event_grant = None
        self.last_interaction_at = None

    def record_message(self, now: float) -> None:
        """A message from the citizen: a fresh allowance of 5 within 48 hours."""
        self.last_interaction_at = now
        self.message_grant = Grant(MESSAGE_QUOTA, now + WINDOW_SECONDS)

    def record_event(self, event: str, now: float) -> None:
        """An event from the citizen; only some of them open an allowance."""
        if event.lower() not in QUOTA_EVENTS:
            return
        self.last_interaction_at = now
        self.event_grant = Grant(EVENT_QUOTA, now + EVENT_QUOTA_SECONDS)

    def consume_customer_quota(self, now: float) -> None:
        """Use one customer-service message or raise WeChat's error."""
        if not self.subscribe:
            raise WeChatError(43004)
        if self.last_interaction_at is None or now - self.last_interaction_at > WINDOW_SECONDS:
            raise WeChatError(45015)
        # The short allowance is spent first: it expires first.
        for grant in (self.event_grant, self.message_grant):
            if grant is not None and grant.expires_at >= now and grant.remaining > 0:
                grant.remaining -= 1
                return
        raise WeChatError(45047)

    def mass_left(self, month: str, quota: int) -> int:
        """How many more mass messages the citizen can get in ``month``."""
        return max(0, quota - self.mass_received.get(month, 0))

    def public_info(self) -> dict[str, Any]:
        """The ``/cgi-bin/user/info`` answer.

        Since 2021-12-27 WeChat returns neither nickname nor head image.
        """
        if not self.subscribe:
            return {"subscribe": 0, "openid": self.openid, "tagid_list": []}
        return {
            "subscribe": 1,
            "openid": self.openid,
            "language": self.language,
            "subscribe_time": self.subscribe_time,
            "remark": self.remark,
            "groupid": 0,
            "tagid_list": sorted(self.tags),
            "subscribe_scene": self.subscribe_scene,
            "qr_scene": self.qr_scene,
            "qr_scene_str": self.qr_scene_str,
        }

    def admin_view(self, now: float, month: str, mass_quota: int) -> dict[str, Any]:
        """Everything about the follower, for ``/_admin/users`` and the simulator."""
        return {
            "openid": self.openid,
            "nickname": self.nickname,
            "subscribe": self.subscribe,
            "subscribe_time": self.subscribe_time,
            "tags": sorted(self.tags),
            "last_interaction_at": self.last_interaction_at,
            "window_open": self.last_interaction_at is not None
            and now - self.last_interaction_at <= WINDOW_SECONDS,
            "customer_quota_left": self._quota_left(now),
            "subscribe_refused": self.subscribe_refused,
            "mass_left_this_month": self.mass_left(month, mass_quota),
        }

    def _quota_left(self, now: float) -> int:
        """Customer-service messages the account could still send right now."""
        grants = (self.event_grant, self.message_grant)
        return sum(g.remaining for g in grants if g is not None and g.expires_at >= now)
