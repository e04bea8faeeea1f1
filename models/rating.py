"""Satisfaction ratings after an event (好差评) and the follow-ups a 差评 opens (回访、整改)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.people import Citizen
from models.programme import Event, Unit


class Rating(TimestampMixin, db.Model):
    """One citizen's rating of one event: a level 1 (非常满意) … 5 (非常不满意), tags, a comment.

    One row per person and event; a change within the window rewrites it. After a
    差评's follow-up was answered the citizen may rate once more (追评: ``again_*``).
    """

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("event_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    online: Mapped[bool] = mapped_column(default=False)  # watched online, not checked in on site
    source: Mapped[str] = mapped_column(String(10), default="chat")  # chat / page
    changes: Mapped[int] = mapped_column(Integer, default=0)
    again_level: Mapped[int | None] = mapped_column(Integer, default=None)
    again_comment: Mapped[str] = mapped_column(Text, default="")
    again_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    event: Mapped[Event] = relationship()
    citizen: Mapped[Citizen] = relationship()


class RatingFollowUp(db.Model):
    """The unit's follow-up of a 差评: call back within 1 working day, reply within 15."""

    __tablename__ = "rating_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    callback_due: Mapped[dt.date] = mapped_column()
    reply_due: Mapped[dt.date] = mapped_column()
    deadlines_estimated: Mapped[bool] = mapped_column(default=False)
    called_back_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    callback_note: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)

    rating: Mapped[Rating] = relationship()
    event: Mapped[Event] = relationship()
    unit: Mapped[Unit] = relationship()


class LivestreamView(db.Model):
    """A citizen opened an event's livestream through the signed-in link (``/my/live/<id>``).

    With an application to the event, this is what makes someone a verified viewer
    of a livestreamed event, who may rate it without having checked in on site.
    """

    __tablename__ = "livestream_views"
    __table_args__ = (UniqueConstraint("event_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
