"""Selection runs (公开遴选): one row per draw, with its seed, quotas, progress and result."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.programme import Event
from models.types import enum_column


class SelectionStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CONFIRMED = "confirmed"


class SelectionRun(TimestampMixin, db.Model):
    """One draw for one event; confirming it sets the applications' statuses.

    ``quotas`` is what staff asked for ({"category": {value: [min, max]}, "street": …});
    ``result`` holds the pool snapshot ([application id, category, street]), the
    selected ids, the waiting-list order, the counts per value, the quotas
    actually used (after any relaxation) and notes, so anyone can re-run the draw
    from the published seed.
    """

    __tablename__ = "selection_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    algorithm_requested: Mapped[str] = mapped_column(String(20), default="maximin")
    algorithm_used: Mapped[str] = mapped_column(String(20), default="")
    fell_back: Mapped[bool] = mapped_column(default=False)
    status: Mapped[SelectionStatus] = mapped_column(
        enum_column(SelectionStatus, "selection_status"), default=SelectionStatus.QUEUED, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    seats: Mapped[int] = mapped_column(Integer, default=0)
    time_budget: Mapped[float | None] = mapped_column(Float, default=None)
    quotas: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON, default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)

    event: Mapped[Event] = relationship()
