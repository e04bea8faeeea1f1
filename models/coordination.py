"""The coordinator's side: suggestion triage (routing, near-duplicates) and moderation before citizen text goes public."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db
from models.people import Suggestion
from models.programme import Unit, _enum
from models.staff import StaffUser
from models.types import EncryptedText


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
    kind: Mapped[ModerationKind] = mapped_column(_enum(ModerationKind, "moderation_kind"))
    object_id: Mapped[int] = mapped_column(index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), default=None, index=True)
    # Encrypted even though masked: masking may miss something until a person has looked.
    text: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    answer: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    masked: Mapped[list] = mapped_column(JSON, default=list)  # what masking replaced: 手机号, 身份证号…
    flagged: Mapped[list] = mapped_column(JSON, default=list)  # words of the list that hold it back
    status: Mapped[ModerationStatus] = mapped_column(
        _enum(ModerationStatus, "moderation_status"), default=ModerationStatus.PENDING, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    decided_by: Mapped[StaffUser | None] = relationship()
