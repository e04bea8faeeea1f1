"""The coordinator's side: suggestion triage (routing, near-duplicates), moderation before citizen text goes public,
and 报备 of changes to published events."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db
from models.people import Suggestion
from models.programme import Event, Unit
from models.staff import StaffUser
from models.types import EncryptedText, enum_column


class SuggestionTriage(db.Model):
    """How a suggestion was routed: its proposed unit (with the reason), the decision, and its near-duplicate link."""

    __tablename__ = "suggestion_triage"

    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True)
    proposed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # When a unit became responsible (the event's host at arrival, or the coordinator's decision).
    routed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    routed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    # The first suggestion of a group of near-duplicates: its reply reaches this citizen too.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", ondelete="SET NULL"),
                                                        default=None, index=True)
    duplicate_score: Mapped[float] = mapped_column(Float, default=0.0)

    suggestion: Mapped[Suggestion] = relationship(foreign_keys=[suggestion_id])
    proposed_unit: Mapped[Unit | None] = relationship()
    duplicate_of: Mapped[Suggestion | None] = relationship(foreign_keys=[duplicate_of_id])


class ModerationKind(enum.StrEnum):
    SUGGESTION = "suggestion"  # an adopted suggestion and its reply (采纳建议落实情况)
    QUESTION = "question"  # an answered lecture question and its answer (活动页)


class ModerationStatus(enum.StrEnum):
    PENDING = "pending"  # 待审核
    HELD = "held"  # 敏感词复核
    APPROVED = "approved"  # 已公开
    REJECTED = "rejected"  # 不予公开


class ModerationItem(db.Model):
    """Citizen text (already masked) waiting for staff approval before a public page shows it."""

    __tablename__ = "moderation_items"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ModerationKind] = mapped_column(enum_column(ModerationKind, "moderation_kind"))
    object_id: Mapped[int] = mapped_column(index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), default=None, index=True)
    # Encrypted even though masked: masking may miss something until a person has looked.
    text: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    answer: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    masked: Mapped[list] = mapped_column(JSON, default=list)  # what masking replaced: 手机号, 身份证号…
    flagged: Mapped[list] = mapped_column(JSON, default=list)  # words of the list that hold it back
    status: Mapped[ModerationStatus] = mapped_column(
        enum_column(ModerationStatus, "moderation_status"), default=ModerationStatus.PENDING, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    decided_by: Mapped[StaffUser | None] = relationship()


class ChangeReportStatus(enum.StrEnum):
    OPEN = "open"  # 待确认: the coordinator has not looked yet (or the unit answered a question)
    ASKED = "asked"  # 待补充: the coordinator asked back
    ACKNOWLEDGED = "acknowledged"  # 已知悉


class EventChangeReport(db.Model):
    """A 报备: a change to a published event (before → after), why, who and when, and the coordinator's answer."""

    __tablename__ = "event_change_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # edit / postpone / cancel
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    reason_due_on: Mapped[dt.date] = mapped_column()
    late: Mapped[bool] = mapped_column(default=False)  # made within 3 working days of the event
    citizens_told: Mapped[int] = mapped_column(default=0)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[ChangeReportStatus] = mapped_column(
        enum_column(ChangeReportStatus, "change_report_status"), default=ChangeReportStatus.OPEN, index=True)
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    event: Mapped[Event] = relationship()
    unit: Mapped[Unit] = relationship()
    staff: Mapped[StaffUser | None] = relationship(foreign_keys=[staff_id])
