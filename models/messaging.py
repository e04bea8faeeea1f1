"""Messages in and out: the outbox and the record of processed inbound keys."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, UTCDateTime, db
from models.types import enum_column


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # final: recorded, never retried
    CANCELLED = "cancelled"


class OutboxMessage(TimestampMixin, db.Model):
    """One message the service promised to send, unique by (recipient, purpose, subject)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20), default="auto")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    in_flight_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    possibly_resent: Mapped[bool] = mapped_column(default=False)
    # The delivery worker holding the row while it is ``sending`` (its Redis heartbeat proves it alive).
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    # The queue job (RQ) the row was handed to; lets the dispatcher re-queue rows of a lost job.
    queue_job: Mapped[str] = mapped_column(String(64), default="", index=True)
    sent_channel: Mapped[str] = mapped_column(String(20), default="")
    wechat_msgid: Mapped[str] = mapped_column(String(40), default="", index=True)
    delivery_status: Mapped[str] = mapped_column(String(40), default="")
    last_error_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class InboundMessage(db.Model):
    """A processed inbound message key with the reply it got (dedup when Redis is away)."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    openid: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
