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


class SelectionSeal(TimestampMixin, db.Model):
    """A sealed lottery (封存的抽签): the pool frozen and every possible panel published before the draw.

    ``record`` is the canonical JSON of what the seal fixed (pool by 报名编号 with
    category and street, quotas, seats, panels, fairness); ``digest`` is its
    SHA-256 over pool, quotas, seats and panels. The draw fills ``beacon_value``
    and ``run_id``; a re-seal (with a ``reason``) sets ``superseded_at`` on the
    previous seal, which stays listed among the attempts.
    """

    __tablename__ = "selection_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    sealed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    panel_count: Mapped[int] = mapped_column(Integer)
    beacon: Mapped[dict] = mapped_column(JSON, default=dict)
    record: Mapped[str] = mapped_column(Text)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    beacon_value: Mapped[str | None] = mapped_column(String(20), default=None)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("selection_runs.id"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)

    event: Mapped[Event] = relationship()
