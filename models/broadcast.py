"""Broadcasts (群发): what staff sent to whom, and how it went."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.programme import Unit
from models.staff import StaffUser
from models.types import enum_column


class BroadcastAudience(enum.StrEnum):
    ALL = "all"  # every follower: one WeChat mass send (quota: 4 a month per follower)
    TOPIC = "topic"  # followers who subscribed to a topic
    APPLICANTS = "applicants"  # an event's applicants
    SELECTED = "selected"  # an event's selected participants


class BroadcastKind(enum.StrEnum):
    TEXT = "text"
    LINK = "link"  # an article link with a title and a short text


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"


class Broadcast(TimestampMixin, db.Model):
    """One broadcast: audience, content, status and delivery totals."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    # The unit whose events the audience belongs to (None for all followers / a topic).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)
    audience_kind: Mapped[BroadcastAudience] = mapped_column(enum_column(BroadcastAudience, "broadcast_audience"))
    audience_ref: Mapped[int | None] = mapped_column(Integer, default=None)  # topic or event id
    kind: Mapped[BroadcastKind] = mapped_column(enum_column(BroadcastKind, "broadcast_kind"), default=BroadcastKind.TEXT)
    title: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[BroadcastStatus] = mapped_column(
        enum_column(BroadcastStatus, "broadcast_status"), default=BroadcastStatus.DRAFT, index=True
    )
    clientmsgid: Mapped[str] = mapped_column(String(64), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    created_by: Mapped[StaffUser | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
