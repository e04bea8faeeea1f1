"""After the event, citizens and units keep talking: adopted suggestions followed to done (落实进展)
and questions sent before a policy lecture (答疑)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.people import Citizen, Suggestion
from models.programme import Event
from models.staff import StaffUser
from models.types import EncryptedText, enum_column


class ProgressStage(enum.StrEnum):
    STUDYING = "studying"  # 研究中
    IMPLEMENTING = "implementing"  # 实施中
    DONE = "done"  # 已完成


class AdoptionProgress(db.Model):
    """One progress update on an adopted (or partly adopted) suggestion, told to the citizen and the public."""

    __tablename__ = "adoption_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ProgressStage] = mapped_column(enum_column(ProgressStage, "progress_stage"))
    note: Mapped[str] = mapped_column(String(200))
    progress_on: Mapped[dt.date] = mapped_column()  # the day the unit reports the stage was reached
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)

    suggestion: Mapped[Suggestion] = relationship()
    staff: Mapped[StaffUser | None] = relationship()


class QuestionStatus(enum.StrEnum):
    OPEN = "open"  # 待答复
    ANSWERED_LIVE = "answered_live"  # 已现场解答
    REPLIED = "replied"  # 已书面答复


class LectureQuestion(TimestampMixin, db.Model):
    """A citizen's question sent to an upcoming policy lecture (会前征集问题)."""

    __tablename__ = "lecture_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), default=None, index=True)
    text: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    # The inbound message that created it: a WeChat retry never stores a second question.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    status: Mapped[QuestionStatus] = mapped_column(
        enum_column(QuestionStatus, "question_status"), default=QuestionStatus.OPEN, index=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    published: Mapped[bool] = mapped_column(default=True)  # staff may keep an answered question off the page
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    event: Mapped[Event] = relationship()
    citizen: Mapped[Citizen | None] = relationship()
