"""The console's landing page."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from bot.extensions import db
from console import bp
from console.access import readers, scoped_unit_id
from models import Event, EventStatus, Suggestion, SuggestionStatus
from services import clock


@bp.get("/")
@readers
def dashboard():
    """Counts that tell staff what needs doing."""
    unit_id = scoped_unit_id()
    events = select(func.count(Event.id)).where(Event.status == EventStatus.PUBLISHED, Event.starts_at >= clock.now())
    open_suggestions = select(func.count(Suggestion.id)).where(Suggestion.status == SuggestionStatus.RECEIVED)
    if unit_id is not None:
        events = events.where(Event.unit_id == unit_id)
        open_suggestions = open_suggestions.where(Suggestion.unit_id == unit_id)
    return render_template(
        "console/dashboard.html",
        upcoming=db.session.scalar(events) or 0,
        open_suggestions=db.session.scalar(open_suggestions) or 0,
    )
