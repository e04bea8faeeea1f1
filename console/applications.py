"""Applicants of an event (公开遴选报名), the Excel export, and directed invitations (定向邀请).

Mobiles are masked unless the role may see personal data; auditors also see
masked names and masked check-in codes. The export is logged in the audit log and neutralises formulas.
"""

from __future__ import annotations

from collections import Counter

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.access import actor_ip, event_or_404, may_see_personal_data, readers, writers
from console.forms import InvitationForm, InvitationRemoveForm
from models import Application, ApplicationStatus, Event, db
from services.admin import audit, exports
from services.calendar import clock
from services.participation.applications import CATEGORIES
from services.privacy import pii
from services.programme import event_admin

STATUS_LABELS = {
    ApplicationStatus.APPLIED: "已报名", ApplicationStatus.SELECTED: "已入选",
    ApplicationStatus.WAITLISTED: "候补", ApplicationStatus.NOT_SELECTED: "未入选",
    ApplicationStatus.CANCELLED: "已取消", ApplicationStatus.CHECKED_IN: "已签到",
}
EXPORT_HEADERS = ["序号", "姓名", "手机号码", "类别", "所在街道（镇）", "状态", "候补顺序", "定向邀请",
                  "签到码", "报名理由/备注", "报名时间", "签到时间"]


@bp.app_template_global()
def application_status_label(status) -> str:
    """Chinese label of an application status."""
    return STATUS_LABELS.get(status, str(status))


@bp.app_template_global()
def shown_checkin_code(code: str | None) -> str:
    """A check-in code as the current role may see it: staff who phone invitees read it, auditors see ``K7****``
    (a code is an entry pass)."""
    return (code or "") if may_see_personal_data() else pii.mask_pass_code(code)


def _filters() -> dict[str, str]:
    """The table filters from the query string."""
    return {key: request.args.get(key, "").strip() for key in ("category", "street", "status")}


def _query(event: Event, filters: dict[str, str]):
    """Applications of ``event`` matching ``filters``, invitations first, then by time."""
    query = select(Application).where(Application.event_id == event.id)
    if filters["category"]:
        query = query.where(Application.category == filters["category"])
    if filters["street"]:
        query = query.where(Application.street == filters["street"])
    if filters["status"] in {s.value for s in ApplicationStatus}:
        query = query.where(Application.status == ApplicationStatus(filters["status"]))
    return query.order_by(Application.invited.desc(), Application.created_at, Application.id)


def shown_name(application: Application) -> str:
    """The name as the current role may see it."""
    if application.erased_at:
        return "（已删除）"
    return (application.name or "") if may_see_personal_data() else pii.mask_name(application.name)


def shown_mobile(application: Application) -> str:
    """The mobile as the current role may see it (masked unless allowed)."""
    if application.erased_at:
        return ""
    return (application.mobile or "") if may_see_personal_data() else pii.mask_mobile(application.mobile)


@bp.get("/events/<int:event_id>/applications")
@readers
def applications(event_id: int):
    """The applicants table with filters and counts, and the invitations."""
    event = event_or_404(event_id)
    return _page(event, _filters(), _invitation_form())


def _invitation_form() -> InvitationForm:
    """The invitation form with the category choices."""
    form = InvitationForm()
    form.category.choices = [(c, c) for c in CATEGORIES]
    return form


def _page(event: Event, filters: dict[str, str], form: InvitationForm) -> str:
    """Render the applicants page: filtered rows, counts over all applicants, invitations."""
    rows = db.session.scalars(_query(event, filters)).all()
    everyone = db.session.scalars(select(Application).where(Application.event_id == event.id)).all()
    active = [a for a in everyone if a.status != ApplicationStatus.CANCELLED]
    if may_see_personal_data() and any(a.mobile for a in rows):
        # Personal data shown in clear: who saw whose, and when (个人信息查看留痕).
        audit.record(db.session, clock.now(), "applications.view_personal", current_user, event, ip=actor_ip(),
                     after={"shown": len(rows)})
        db.session.commit()
    return render_template(
        "console/applications.html", event=event, rows=rows, filters=filters,
        by_category=Counter(a.category for a in active).most_common(),
        by_street=Counter(a.street or "未填写" for a in active).most_common(),
        by_status=Counter(a.status for a in everyone), categories=CATEGORIES,
        streets=sorted({a.street for a in everyone if a.street}), statuses=STATUS_LABELS,
        invitations=[a for a in everyone if a.invited], form=form, remove_form=InvitationRemoveForm(),
        shown_name=shown_name, shown_mobile=shown_mobile, total=len(active),
    )


@bp.get("/events/<int:event_id>/applications.xlsx")
@writers
def applications_export(event_id: int):
    """The (filtered) applicants as an Excel file; the export is logged."""
    event = event_or_404(event_id)
    filters = _filters()
    rows = db.session.scalars(_query(event, filters)).all()
    body = exports.workbook_bytes("报名名单", EXPORT_HEADERS, [_export_row(i, a) for i, a in enumerate(rows, 1)])
    now = clock.now()
    shown = {k: v for k, v in filters.items() if v}
    audit.record(db.session, now, "applications.export", current_user, event, ip=actor_ip(),
                 after={"rows": len(rows), **shown}, note=f"导出报名名单 {len(rows)} 条")
    db.session.commit()
    filename = f"applicants-event{event.id}-{clock.local(now):%Y%m%d%H%M}.xlsx"
    return Response(body, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"})


def _export_row(number: int, application: Application) -> list:
    """One spreadsheet row (personal data as the role may see it)."""
    return [
        number, shown_name(application), shown_mobile(application), application.category, application.street,
        STATUS_LABELS.get(application.status, ""), application.waitlist_rank, "是" if application.invited else "",
        application.checkin_code or "", application.reason, application.created_at, application.checked_in_at,
    ]


@bp.post("/events/<int:event_id>/invitations")
@writers
def invitation_add(event_id: int):
    """Add a directed invitation; a failing form is shown again with what was typed."""
    event = event_or_404(event_id)
    form = _invitation_form()
    if form.validate_on_submit():
        try:
            event_admin.add_invitation(db.session, event.id, form.name.data, form.mobile.data or "",
                                       form.category.data, form.note.data or "", current_user, clock.now())
        except event_admin.InvalidEventData as error:
            db.session.rollback()
            for name, message in error.errors.items():
                getattr(form, name, form.name).errors.append(message)
        except event_admin.EventAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已添加定向邀请：{form.name.data}。", "success")
            return redirect(url_for("console.applications", event_id=event.id) + "#invitations")
    flash("邀请未添加，请查看表单中的提示。", "error")
    return _page(event, dict.fromkeys(("category", "street", "status"), ""), form), 400


@bp.post("/events/<int:event_id>/invitations/<int:application_id>/remove")
@writers
def invitation_remove(event_id: int, application_id: int):
    """Withdraw a directed invitation."""
    event = event_or_404(event_id)
    application = db.session.get(Application, application_id)
    if InvitationRemoveForm().validate_on_submit() and application and application.event_id == event.id:
        try:
            event_admin.remove_invitation(db.session, application.id, current_user, clock.now())
        except event_admin.EventAdminError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("已撤销该定向邀请。", "success")
    return redirect(url_for("console.applications", event_id=event.id) + "#invitations")
