"""Late publications a coordinator explained: the recorded reason, for the dashboard and the compliance board.

A module of its own so the dashboard can use it without importing the board's
view module (which would add the board to the menu before the other areas).
"""

from __future__ import annotations

from sqlalchemy import select

from models import Event, db
from services.programme import deadlines


def late_reasons(board) -> dict[int, str]:
    """Event id → the reason a coordinator recorded for publishing it late (only events that have one)."""
    ids = [item.event_id for item in board]
    if not ids:
        return {}
    rows = db.session.execute(select(Event.id, Event.publish_override_reason).where(
        Event.id.in_(ids), Event.publish_override_reason != ""))
    return {event_id: reason for event_id, reason in rows}


def explained(rule, reasons: dict[int, str], event_id: int) -> str:
    """The recorded reason when ``rule`` is a late publication that has one, else ''."""
    if rule.rule == deadlines.ANNOUNCEMENT and rule.status == deadlines.RED and rule.done:
        return reasons.get(event_id, "")
    return ""
