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


class OutboxPurpose(enum.StrEnum):
    """Why a message is sent (``OutboxMessage.purpose``); :attr:`label` is what staff read."""

    SELECTION_SELECTED = "selection_selected"
    SELECTION_WAITLISTED = "selection_waitlisted"
    SELECTION_NOT_SELECTED = "selection_not_selected"
    REMINDER = "reminder"
    DEADLINE = "deadline"
    DIGEST = "digest"
    WAITLIST_OFFER = "waitlist_offer"
    WAITLIST_OFFER_EXPIRED = "waitlist_offer_expired"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_POSTPONED = "event_postponed"
    TOPIC_NOTICE = "topic_notice"
    SUGGESTION_REPLY = "suggestion_reply"
    ADOPTION_PROGRESS = "adoption_progress"
    QUESTION_REPLY = "question_reply"
    EVENT_RECORDING = "event_recording"
    RATING_INVITE = "rating_invite"
    RATING_REPLY = "rating_reply"
    BROADCAST_SEGMENT = "broadcast"
    BROADCAST_MASS = "broadcast_mass"
    BROADCAST_PREVIEW = "broadcast_preview"

    @property
    def label(self) -> str:
        """The purpose in the words staff use."""
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    OutboxPurpose.SELECTION_SELECTED: "遴选结果：入选通知",
    OutboxPurpose.SELECTION_WAITLISTED: "遴选结果：候补通知",
    OutboxPurpose.SELECTION_NOT_SELECTED: "遴选结果：未入选通知",
    OutboxPurpose.REMINDER: "活动提醒",
    OutboxPurpose.DEADLINE: "工作期限提醒（工作人员）",
    OutboxPurpose.DIGEST: "逾期事项日报（协调员）",
    OutboxPurpose.WAITLIST_OFFER: "候补递补通知",
    OutboxPurpose.WAITLIST_OFFER_EXPIRED: "候补递补过期通知",
    OutboxPurpose.EVENT_CANCELLED: "活动取消通知",
    OutboxPurpose.EVENT_POSTPONED: "活动延期通知",
    OutboxPurpose.TOPIC_NOTICE: "专题订阅新活动通知",
    OutboxPurpose.SUGGESTION_REPLY: "意见建议答复",
    OutboxPurpose.ADOPTION_PROGRESS: "采纳建议落实进展",
    OutboxPurpose.QUESTION_REPLY: "讲座提问答复",
    OutboxPurpose.EVENT_RECORDING: "讲解视频与活动资料",
    OutboxPurpose.RATING_INVITE: "满意度评价邀请",
    OutboxPurpose.RATING_REPLY: "差评整改答复",
    OutboxPurpose.BROADCAST_SEGMENT: "群发（分组）",
    OutboxPurpose.BROADCAST_MASS: "群发（全部关注用户）",
    OutboxPurpose.BROADCAST_PREVIEW: "群发预览",
}


def purpose_label(purpose: str) -> str:
    """The label of ``purpose``; a name no longer used reads as 其他消息, never as the raw key."""
    try:
        return OutboxPurpose(purpose).label
    except ValueError:
        return "其他消息"


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
