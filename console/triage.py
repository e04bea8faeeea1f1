"""分派: the proposed unit of a general suggestion (with its reason), one click to accept or change, near-duplicates.

The detail page of a suggestion includes ``console/_triage_panel.html``; the
dashboard includes ``console/_coordination_panel.html``. Routing goes through
``services.participation.triage`` (the citizen is told where it went).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from console import bp
from console.access import coordinators, scoped_unit_id, writers
from console.forms_staff import EmptyForm
from models import ModerationItem, ModerationStatus, Suggestion, SuggestionTriage, Unit, db
from services.calendar import clock
from services.participation import moderation, triage


@bp.app_template_global("suggestion_handler")
def suggestion_handler(suggestion) -> str:
    """办理单位 as the citizen was told it."""
    return triage.handler_label(suggestion)


@bp.app_template_global("triage_panel")
def triage_panel(suggestion) -> dict:
    """The triage of one suggestion (computed now if the job has not reached it), its links and the units."""
    # Not committed here: the scheduler's job stores it (and routing or replying brings it up to date).
    now = clock.now()
    triage.run_pending(db.session, now, limit=20)
    row = triage.triage(db.session, suggestion.id, now)
    return {"row": row, "linked": triage.linked(db.session, suggestion.id), "form": EmptyForm(),
            "units": db.session.scalars(select(Unit).order_by(Unit.name)).all()}


@bp.app_template_global("coordination_counts")
def coordination_counts() -> dict:
    """The dashboard panel: general suggestions awaiting routing, near-duplicates linked, texts awaiting approval."""
    unit_id = scoped_unit_id()
    awaiting = 0
    if unit_id is None:
        awaiting = db.session.scalar(select(func.count(Suggestion.id)).where(
            Suggestion.event_id.is_(None), Suggestion.unit_id.is_(None), Suggestion.erased_at.is_(None))) or 0
    linked = db.session.scalar(select(func.count()).select_from(SuggestionTriage)
                               .where(SuggestionTriage.duplicate_of_id.is_not(None))) or 0
    if unit_id is None:
        waiting = db.session.scalar(select(func.count(ModerationItem.id)).where(
            ModerationItem.status.in_(moderation.WAITING))) or 0
    else:
        waiting = len(moderation.waiting(db.session, unit_id))
    held = db.session.scalar(select(func.count(ModerationItem.id)).where(
        ModerationItem.status == ModerationStatus.HELD)) or 0
    return {"awaiting_routing": awaiting, "linked": linked, "moderation": waiting, "held": held,
            "coordinator": unit_id is None}


@bp.post("/suggestions/<int:suggestion_id>/route")
@coordinators
def suggestion_route(suggestion_id: int):
    """Accept the proposed unit (no ``unit_id``) or route to the unit chosen."""
    target = url_for("console.suggestion_detail", suggestion_id=suggestion_id)
    if not EmptyForm().validate_on_submit():
        flash("页面已过期，请刷新后重试。", "error")
        return redirect(target)
    unit_id = request.form.get("unit_id", type=int)
    try:
        suggestion = triage.route(db.session, suggestion_id, unit_id, current_user, clock.now(),
                                  ip=request.remote_addr or "")
    except triage.NothingToRoute:
        db.session.rollback()
        flash("请选择办理单位（关于具体活动的建议由该活动的主责单位办理）。", "error")
        return redirect(target)
    db.session.commit()
    flash(f"已转{suggestion.unit.name}办理，并已通知市民。", "success")
    return redirect(target)


@bp.post("/suggestions/<int:suggestion_id>/unlink")
@writers
def suggestion_unlink(suggestion_id: int):
    """Not a duplicate: answer it on its own."""
    if EmptyForm().validate_on_submit():
        triage.unlink(db.session, suggestion_id, current_user, clock.now(), ip=request.remote_addr or "")
        db.session.commit()
        flash("已取消关联，该建议将单独答复。", "success")
    return redirect(url_for("console.suggestion_detail", suggestion_id=suggestion_id))
