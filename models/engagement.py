"""After the event, citizens and units keep talking: adopted suggestions followed to done (落实进展)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db
from models.people import Suggestion
from models.programme import _enum
from models.staff import StaffUser


class ProgressStage(enum.StrEnum):
    STUDYING = "studying"  # 研究中
    IMPLEMENTING = "implementing"  # 实施中
    DONE = "done"  # 已完成


class AdoptionProgress(db.Model):
    """One progress update on an adopted (or partly adopted) suggestion, told to the citizen and the public."""

    __tablename__ = "adoption_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ProgressStage] = mapped_column(_enum(ProgressStage, "progress_stage"))
    note: Mapped[str] = mapped_column(String(200))
    progress_on: Mapped[dt.date] = mapped_column()  # the day the unit reports the stage was reached
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)

    suggestion: Mapped[Suggestion] = relationship()
    staff: Mapped[StaffUser | None] = relationship()
