"""The programme: responsible units, topics and events."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.types import enum_column


class EventKind(enum.StrEnum):
    OPEN_DAY = "open_day"  # 政务开放日
    POLICY_LECTURE = "policy_lecture"  # 政策公开讲


class EventMode(enum.StrEnum):
    OFFLINE = "offline"  # 线下
    ONLINE = "online"  # 线上直播
    HYBRID = "hybrid"  # 线上线下结合


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Unit(db.Model):
    """A responsible unit (主责单位): a street office, a town, a district bureau."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="委办局")

    events: Mapped[list[Event]] = relationship(back_populates="unit")


class Topic(db.Model):
    """A topic (专题) grouping open points, e.g. 优化营商环境."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")

    events: Mapped[list[Event]] = relationship(back_populates="topic")


class Event(TimestampMixin, db.Model):
    """An open day or a policy lecture, with everything its announcement must carry."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    mode: Mapped[EventMode] = mapped_column(enum_column(EventMode, "event_mode"))
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    agenda: Mapped[str] = mapped_column(Text, default="")
    online_participation: Mapped[str] = mapped_column(Text, default="")
    livestream_url: Mapped[str] = mapped_column(String(500), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    co_hosts: Mapped[str] = mapped_column(String(200), default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), default=None, index=True)
    seats: Mapped[int] = mapped_column(Integer, default=30)
    apply_opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    apply_closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    selection_planned_on: Mapped[dt.date | None] = mapped_column(default=None)
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    publish_override_reason: Mapped[str] = mapped_column(Text, default="")
    selection_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    materials_url: Mapped[str] = mapped_column(String(500), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    materials_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    unit: Mapped[Unit] = relationship(back_populates="events")
    topic: Mapped[Topic | None] = relationship(back_populates="events")

    @property
    def ends_at(self) -> dt.datetime:
        """When the event is planned to end."""
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def is_livestreamed(self) -> bool:
        """Online or hybrid: the 3-working-day announcement rule applies."""
        return self.mode in (EventMode.ONLINE, EventMode.HYBRID)

    @property
    def takes_applications(self) -> bool:
        """Offline or hybrid events invite representatives on site."""
        return self.mode in (EventMode.OFFLINE, EventMode.HYBRID) and self.seats > 0
