"""Overdue 差评 follow-ups (issue 15) for the compliance board and the dashboard (no menu entry of its own)."""

from __future__ import annotations

from console.access import scoped_unit_id
from models import db
from services.calendar import clock
from services.participation import rating_followups
from services.participation.rating_texts import LEVELS

OVERDUE_LABELS = {"callback": "未按期回访（1个工作日）", "reply": "未按期整改答复（15个工作日）"}


def rating_overdue_context(found: list | None = None) -> dict:
    """The template values of ``console/_rating_overdue.html``: ``found``, else the user's scope read now."""
    if found is None:
        found = rating_followups.overdue(db.session, clock.now(), scoped_unit_id())
    return {"rating_overdue": found,
            "rating_levels": LEVELS, "rating_overdue_labels": OVERDUE_LABELS}
