"""变更报备: changes units made to published events, for the coordinator to acknowledge or ask back.

Unit staff see their unit's reports, give a missing reason or answer a question;
coordinators see every unit's and acknowledge (已知悉) or ask back (请补充说明).
Everything goes through ``services.programme.change_reports``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console import NAV, bp
from console.access import coordinators, readers, require_unit, scoped_unit_id, writers
from console.forms_staff import EmptyForm
from models import db
from services.calendar import clock
from services.programme import change_reports

NAV.append(("console.change_reports_list", "变更报备", None))


@bp.app_template_global("change_report_counts")
def change_report_counts():
    """Open, asked-back, late and unreported reports (the dashboard panel and the compliance board)."""
    return change_reports.board_counts(db.session, clock.now(), scoped_unit_id())


@bp.get("/changes")
@readers
def change_reports_list():
    """Every report, newest first; ``?status=open`` for those waiting for the coordinator."""
    status = request.args.get("status", "")
    rows = change_reports.listing(db.session, scoped_unit_id(), status)
    today = clock.today_local()
    return render_template("console/change_reports.html", rows=rows, status=status, form=EmptyForm(),
                           lines=change_reports.change_lines, kinds=change_reports.KIND_LABELS,
                           labels=change_reports.STATUS_LABELS,
                           unreported={r.id for r in rows if change_reports.is_unreported(r, today)})


def _report(report_id: int):
    try:
        report = change_reports.get(db.session, report_id)
    except change_reports.ReportNotFound:
        abort(404)
    require_unit(report.unit_id)
    return report


@bp.post("/changes/<int:report_id>/decide")
@coordinators
def change_report_decide(report_id: int):
    """Acknowledge, or ask back with a question (``question`` filled)."""
    report = _report(report_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    question = request.form.get("question", "").strip() if request.form.get("action") == "ask" else ""
    if request.form.get("action") == "ask" and not question:
        flash("请填写需要单位补充说明的问题。", "error")
        return redirect(url_for("console.change_reports_list") + f"#r{report.id}")
    change_reports.decide(db.session, report.id, current_user, clock.now(), question=question)
    db.session.commit()
    flash("已请单位补充说明。" if question else "已确认知悉。", "success")
    return redirect(url_for("console.change_reports_list"))


@bp.post("/changes/<int:report_id>/answer")
@writers
def change_report_answer(report_id: int):
    """The unit gives the reason, or answers the coordinator's question."""
    report = _report(report_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        change_reports.add_reason(db.session, report.id, request.form.get("text", ""), current_user, clock.now())
    except change_reports.ReasonRequired:
        db.session.rollback()
        flash("请填写变更原因或补充说明。", "error")
        return redirect(url_for("console.change_reports_list") + f"#r{report.id}")
    db.session.commit()
    flash("已提交，等待区级协调员确认。", "success")
    return redirect(url_for("console.change_reports_list"))
