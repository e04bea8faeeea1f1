"""Citizens and what they do: applications (公开遴选) and suggestions (意见建议)."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, UTCDateTime, db
from models.programme import Event, Topic, Unit
from models.types import EncryptedText, enum_column

citizen_topics = Table(
    "citizen_topics",
    Base.metadata,
    Column("citizen_id", ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Citizen(TimestampMixin, db.Model):
    """A follower of the official account, known by openid."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    nickname: Mapped[str] = mapped_column(String(64), default="")
    following: Mapped[bool] = mapped_column(default=True)
    followed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    unfollowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_interaction_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Saved details offered for reuse in the next application (encrypted).
    saved_name: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    saved_mobile: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    saved_category: Mapped[str] = mapped_column(String(20), default="")
    saved_street: Mapped[str] = mapped_column(String(40), default="")
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    topics: Mapped[list[Topic]] = relationship(secondary=citizen_topics)
    applications: Mapped[list[Application]] = relationship(back_populates="citizen")


class ApplicationStatus(enum.StrEnum):
    APPLIED = "applied"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    NOT_SELECTED = "not_selected"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"


APPLICATION_NUMBER_RANGE = (10_000_000, 99_999_999)  # eight digits, no leading zero: easy to read out


def random_application_number() -> str:
    """A fresh pseudonymous 报名编号 (eight digits); unique per event, told only to the applicant."""
    low, high = APPLICATION_NUMBER_RANGE
    return str(low + secrets.randbelow(high - low + 1))


class Application(TimestampMixin, db.Model):
    """One citizen's application to attend one event (or a directed invitation).

    ``number`` is the 报名编号: random, published in the draw record instead of
    the name, so only the applicant can recognise their own entry.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("event_id", "citizen_id"), UniqueConstraint("event_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), default=None, index=True)
    number: Mapped[str | None] = mapped_column(String(12), default=random_application_number)
    name: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    mobile: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    category: Mapped[str] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.APPLIED, index=True
    )
    invited: Mapped[bool] = mapped_column(default=False)
    waitlist_rank: Mapped[int | None] = mapped_column(Integer, default=None)
    checkin_code: Mapped[str | None] = mapped_column(String(12), unique=True, default=None)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    selected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    event: Mapped[Event] = relationship()
    citizen: Mapped[Citizen | None] = relationship(back_populates="applications")


class SuggestionStatus(enum.StrEnum):
    RECEIVED = "received"
    REPLIED = "replied"


class Adoption(enum.StrEnum):
    ADOPTED = "adopted"  # 采纳
    PARTLY = "partly"  # 部分采纳
    NOT_ADOPTED = "not_adopted"  # 暂不采纳
    TRANSFERRED = "transferred"  # 已转办


class Suggestion(TimestampMixin, db.Model):
    """A citizen's suggestion, with its tracking number and how it was handled."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), default=None, index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), default=None, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    # The inbound message that created it: a WeChat retry can never create a second one.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.RECEIVED, index=True
    )
    reply: Mapped[str] = mapped_column(Text, default="")
    adoption: Mapped[Adoption | None] = mapped_column(enum_column(Adoption, "adoption"), default=None)
    adoption_reason: Mapped[str] = mapped_column(Text, default="")
    reply_draft: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    citizen: Mapped[Citizen | None] = relationship()
    event: Mapped[Event | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
