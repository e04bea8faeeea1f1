"""The console's landing page: what needs doing now, for the user's own scope."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from console import bp
from console.access import readers, scoped_unit_id
from console.late_reasons import explained, late_reasons
from console.rating_board import rating_overdue_context
from models import Event, EventStatus, OutboxMessage, OutboxStatus, Suggestion, SuggestionStatus, db
from services.calendar import clock
from services.programme import deadlines

UPCOMING_SHOWN = 8


@bp.get("/")
@readers
def dashboard():
    """Counts and lists that tell staff what needs doing: events, suggestions, red rules, failed sends."""
    now = clock.now()
    unit_id = scoped_unit_id()
    upcoming = select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at >= now)
    drafts = select(func.count(Event.id)).where(Event.status == EventStatus.DRAFT)
    open_suggestions = select(func.count(Suggestion.id)).where(Suggestion.status == SuggestionStatus.RECEIVED)
    if unit_id is not None:
        upcoming = upcoming.where(Event.unit_id == unit_id)
        drafts = drafts.where(Event.unit_id == unit_id)
        open_suggestions = open_suggestions.where(Suggestion.unit_id == unit_id)
    upcoming_events = db.session.scalars(upcoming.order_by(Event.starts_at)).all()
    board = deadlines.compliance_board(db.session, now, unit_id)
    failed = 0
    if unit_id is None:  # outbox failures are listed by unit on their own page; the tile is for coordinators
        failed = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.FAILED))
    return render_template(
        "console/dashboard.html",
        upcoming=len(upcoming_events), next_events=upcoming_events[:UPCOMING_SHOWN],
        drafts=db.session.scalar(drafts) or 0,
        open_suggestions=db.session.scalar(open_suggestions) or 0,
        red=[item for item in board if item.status == "red"],
        amber=sum(1 for item in board if item.status == "amber"),
        failed=failed or 0, show_failed=unit_id is None, reasons=late_reasons(board), explained=explained,
        **rating_overdue_context(),
    )
