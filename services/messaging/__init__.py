"""Everything the service sends: the outbox and its store, delivery over the WeChat API client,
channels, reminders and the send plan, broadcasts, and the wording of pushed messages."""

from __future__ import annotations

from services.messaging import (
    broadcasts,
    channels,
    delivery,
    delivery_texts,
    outbox,
    outbox_store,
    reminders,
    send_plan,
    wechat_client,
    wording,
)

__all__ = ["broadcasts", "channels", "delivery", "delivery_texts", "outbox", "outbox_store", "reminders",
           "send_plan", "wechat_client", "wording"]
