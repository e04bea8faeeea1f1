"""The public record of a confirmed draw (公开遴选的公示): every figure needed to check it, nothing personal.

Built from the confirmed :class:`~models.SelectionRun` alone: the seed, the
quotas as used, how many applied and were selected per category and per street
(counts only, no names or ids), each category's selection probability, the
algorithm and library versions, a digest of the pool as drawn, and the command
that re-runs the draw (``flask selection verify``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from models import Event, SelectionRun, SelectionStatus
from services.calendar import clock
from services.programme import links
from services.selection import texts
from services.selection.engine import software


@dataclass(frozen=True)
class Row:
    """One category or street: applicants, selected, the quota as used ([min, max] or None) and a probability."""

    value: str
    applicants: int
    selected: int
    quota: tuple[int, int] | None
    probability: float | None = None


@dataclass(frozen=True)
class DrawRecord:
    """What the public page shows."""

    event_id: int
    title: str
    seed: int
    confirmed_at: str
    algorithm: str
    fell_back: bool
    software: dict[str, str]
    software_recorded: bool
    event_seats: int
    seats: int
    invited: int
    applicants: int
    selected: int
    waitlisted: int
    min_probability: float | None
    categories: list[Row]
    streets: list[Row]
    unselectable: list[dict]
    notes: list[str]
    pool_digest: str
    verify_command: str


def record_url(event_id: int, base_url: str | None = None) -> str:
    """The public address of an event's draw record."""
    return f"{links.page_url(event_id, base_url)}/draw"


def pool_digest(pool: list) -> str:
    """SHA-256 of the pool as drawn ([application number, category, street], by number), as compact JSON."""
    text = json.dumps([list(row) for row in pool], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_record(session, event_id: int) -> DrawRecord | None:
    """The record of the event's confirmed draw; None while no draw is confirmed."""
    run = session.scalar(select(SelectionRun).where(SelectionRun.event_id == event_id,
                                                    SelectionRun.status == SelectionStatus.CONFIRMED))
    event = session.get(Event, event_id)
    if run is None or event is None:
        return None
    result = run.result or {}
    pool = result.get("pool", [])
    chosen = set(result.get("selected", []))
    used = result.get("quotas_used", {})
    per_category = result.get("per_category") or {}
    return DrawRecord(
        event_id=event.id, title=event.title, seed=run.seed,
        confirmed_at=f"{clock.local(run.confirmed_at):%Y-%m-%d %H:%M}" if run.confirmed_at else "",
        algorithm=texts.ALGORITHM_LABELS.get(run.algorithm_used or "", run.algorithm_used or ""),
        fell_back=bool(run.fell_back), software=result.get("software") or software(),
        software_recorded="software" in result, event_seats=event.seats, seats=run.seats,
        invited=len(result.get("invited", [])), applicants=len(pool), selected=len(chosen),
        waitlisted=len(result.get("waitlist", [])), min_probability=result.get("min_probability"),
        categories=_rows(pool, chosen, 1, used.get("category", {}), per_category),
        streets=_rows(pool, chosen, 2, used.get("street", {}), {}),
        unselectable=result.get("unselectable", []), notes=result.get("notes", []),
        pool_digest=pool_digest(pool), verify_command=f"flask selection verify {event.id} --seed {run.seed}",
    )


def _rows(pool: list, chosen: set, column: int, quotas: dict, probabilities: dict) -> list[Row]:
    applied = Counter(row[column] for row in pool)
    picked = Counter(row[column] for row in pool if row[0] in chosen)
    values = sorted(set(applied) | set(quotas) - {"*"}, key=lambda v: (-applied[v], v))
    default = quotas.get("*")
    return [Row(value, applied[value], picked[value],
                tuple(quotas.get(value, default)) if quotas.get(value, default) else None,
                probabilities.get(value)) for value in values]
