"""Compliance board: every event against every timing rule, green / amber / red."""

from __future__ import annotations

from collections import Counter

from flask import redirect, render_template, request, session, url_for
from sqlalchemy import select

from console import CALENDAR_DISMISSED, NAV, bp
from console.access import readers, scoped_unit_id
from console.forms_staff import ComplianceFilterForm
from console.late_reasons import explained, late_reasons
from console.rating_board import rating_overdue_context
from models import Unit, db
from services.admin import overdue
from services.calendar import clock, workdays
from services.participation import progress
from services.programme import deadlines
from services.programme.deadline_texts import SHORT_LABELS, estimated_note

NAV.append(("console.compliance_board", "合规看板", None))

RULE_ORDER = [deadlines.ANNOUNCEMENT, deadlines.SELECTION_NOTICE, deadlines.REMINDER, deadlines.MATERIALS]
LEVEL_LABELS = {deadlines.GREEN: "正常", deadlines.AMBER: "临近期限", deadlines.RED: "已超期"}


def _scope(form: ComplianceFilterForm) -> int | None:
    """The unit the board is about: the user's own, else the one picked in the filter, else all."""
    unit_id = scoped_unit_id()
    if unit_id is None and form.unit_id.data:
        unit_id = form.unit_id.data
    return unit_id


def _board(form: ComplianceFilterForm, unit_id: int | None):
    """The board for the scope, filtered by colour."""
    board = deadlines.compliance_board(db.session, clock.now(), unit_id=unit_id)
    if form.level.data in LEVEL_LABELS:
        board = [item for item in board if item.status == form.level.data]
    return board


@bp.get("/compliance")
@readers
def compliance_board():
    """Events around today with each rule's deadline (working-day calendar), status and unit."""
    form = ComplianceFilterForm(request.args)
    form.unit_id.choices = [("", "全部单位")] + [
        (u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    form.validate()
    unit_id = _scope(form)
    board = _board(form, unit_id)
    rows = [(item, {rule.rule: rule for rule in item.rules}) for item in board]
    totals = Counter(item.status for item in board)
    # One read for the header's 已超期 and the overdue lists below it.
    late = overdue.overdue(db.session, clock.now(), unit_id, board=board)
    return render_template(
        "console/compliance.html", form=form, rows=rows, totals=totals, late=late, rule_order=RULE_ORDER,
        rule_labels=SHORT_LABELS, level_labels=LEVEL_LABELS, health=workdays.calendar_health(),
        today=clock.today_local(), estimated_note=estimated_note, reasons=late_reasons(board), explained=explained,
        stale=late.adoptions, **rating_overdue_context(late.follow_ups))


@bp.post("/calendar-banner/dismiss")
@readers
def dismiss_calendar_banner():
    """Hide the holiday-schedule banner for the rest of this login (the board keeps the full warning)."""
    session[CALENDAR_DISMISSED] = True
    target = request.form.get("next", "")
    # Only back to a console page: never an address someone else put in the form.
    if not target.startswith("/console/") or target.startswith("//"):
        target = url_for("console.dashboard")
    return redirect(target)


# -- one more rule: adopted suggestions with no progress for 30 working days (services.participation.progress) --

@bp.app_template_global("stale_adoptions")
def stale_adoptions() -> list:
    """Adoptions whose last word is 30 working days old, in the board's scope (the unit filter applies)."""
    unit_id = scoped_unit_id()
    if unit_id is None:
        unit_id = request.args.get("unit_id", type=int)
    return progress.stale(db.session, clock.now(), unit_id=unit_id)
