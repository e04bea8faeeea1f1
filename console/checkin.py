"""Check-in at the door: a phone-friendly page (type or scan), a JSON endpoint, QR codes.

The page works without JavaScript (the form posts and the page reloads); with it,
``checkin.js`` posts codes to ``checkin_json`` and scans QR codes with the
browser's BarcodeDetector when there is one. Participants' QR codes are served
as SVG to staff, and to the citizen through a signed link that needs no login.
"""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.access import event_or_404, writers
from console.forms import CheckinForm
from models import Application, Event, db
from services.calendar import clock
from services.participation import checkin as checkin_service

QR_SALT = "checkin-qr"
ERROR_STATUS = {checkin_service.UnknownCode: 404, checkin_service.WrongEvent: 422,
                checkin_service.AlreadyCheckedIn: 409, checkin_service.NotSelected: 422,
                checkin_service.NotOpenYet: 409, checkin_service.CheckinClosed: 409}


def _arrivals_json(event_id: int) -> dict:
    """The live count as JSON-ready data."""
    counts = checkin_service.arrivals(db.session, event_id)
    return {"arrived": counts.arrived, "expected": counts.expected, "seats": counts.seats}


def _person(application: Application) -> dict:
    """What the door needs to see of a person."""
    return {"name": application.name or "", "category": application.category, "code": application.checkin_code,
            "invited": application.invited, "checked_in_at": clock.local(application.checked_in_at).strftime("%H:%M")
            if application.checked_in_at else ""}


def _attempt(event: Event, code: str) -> tuple[dict, int]:
    """Try one check-in; returns (JSON body, HTTP status) and commits on success."""
    try:
        application = checkin_service.check_in(db.session, event.id, code, current_user, clock.now())
    except checkin_service.CheckinError as error:
        db.session.rollback()
        body = {"ok": False, "message": str(error), "arrivals": _arrivals_json(event.id)}
        if isinstance(error, checkin_service.AlreadyCheckedIn):
            body["person"] = _person(error.application)
            body["message"] += f"（{body['person']['name']} 已于 {body['person']['checked_in_at']} 签到）"
        return body, ERROR_STATUS.get(type(error), 422)
    db.session.commit()
    person = _person(application)
    return {"ok": True, "message": f"签到成功：{person['name']}（{person['category']}）", "person": person,
            "arrivals": _arrivals_json(event.id)}, 200


def _participants(event: Event) -> list[Application]:
    """Selected and checked-in people of the event, invitations first."""
    return list(db.session.scalars(
        select(Application).where(Application.event_id == event.id, Application.status.in_(checkin_service.ATTENDING))
        .order_by(Application.invited.desc(), Application.id)
    ))


@bp.route("/events/<int:event_id>/checkin", methods=["GET", "POST"])
@writers
def checkin(event_id: int):
    """The door page: type or scan a code; the live count; who has arrived."""
    event = event_or_404(event_id)
    form = CheckinForm()
    if form.validate_on_submit():
        body, status = _attempt(event, form.code.data)
        flash(body["message"], "success" if body["ok"] else "error")
        return redirect(url_for("console.checkin", event_id=event.id))
    try:
        checkin_service.check_window(event, clock.now())
        closed = ""
    except checkin_service.CheckinError as error:
        closed = str(error)
    return render_template("console/checkin.html", event=event, form=form, arrivals=_arrivals_json(event.id),
                           participants=_participants(event), recent=checkin_service.recent(db.session, event.id),
                           window=checkin_service.window_text(event), closed=closed)


@bp.post("/events/<int:event_id>/checkin.json")
@writers
def checkin_json(event_id: int):
    """Check one code in (JSON in, JSON out; CSRF token in the X-CSRFToken header)."""
    event = event_or_404(event_id)
    payload = request.get_json(silent=True) or {}
    code = str(payload.get("code", ""))[:64]
    if not code.strip():
        return jsonify(ok=False, message="请输入签到码。", arrivals=_arrivals_json(event.id)), 400
    body, status = _attempt(event, code)
    return jsonify(body), status


@bp.get("/events/<int:event_id>/checkin/count.json")
@writers
def checkin_count(event_id: int):
    """The live arrivals count, polled by the door page."""
    event = event_or_404(event_id)
    return jsonify(_arrivals_json(event.id))


@bp.get("/applications/<int:application_id>/qr.svg")
@writers
def participant_qr(application_id: int):
    """A selected participant's QR code, for staff (print or show)."""
    application = db.session.get(Application, application_id)
    if application is None or not application.checkin_code:
        abort(404)
    event_or_404(application.event_id)
    return _svg_response(application.checkin_code)


def _svg_response(code: str) -> Response:
    """The QR code of ``code`` as an uncached SVG response."""
    svg = checkin_service.qr_svg(checkin_service.qr_payload(code))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@bp.post("/events/<int:event_id>/checkin/codes")
@writers
def checkin_codes(event_id: int):
    """Give every selected participant without a code one (e.g. invitations added after confirming)."""
    event = event_or_404(event_id)
    added = checkin_service.ensure_codes(db.session, event.id, current_user, clock.now())  # CSRF checked globally
    db.session.commit()
    flash(f"已为 {added} 位参加人员生成签到码。" if added else "所有参加人员均已有签到码。", "success")
    return redirect(url_for("console.checkin", event_id=event.id))
