"""After the event: attendance (from check-in), material links, video, closing note; due in 5 working days."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import NAV, bp
from console.access import readers, require_unit, scoped_unit_id, writers
from console.forms_staff import ClosingForm
from models import Event, EventStatus, db
from services.calendar import clock
from services.programme import closing

NAV.append(("console.closing_list", "活动总结", None))

LIST_DAYS_BACK = 120


def _event(event_id: int) -> Event:
    """The event, if the user may see its unit's objects."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require_unit(event.unit_id)
    return event


@bp.get("/closing")
@readers
def closing_list():
    """Events that have taken place recently, with their materials deadline and state."""
    now = clock.now()
    query = (select(Event).where(Event.status.in_((EventStatus.PUBLISHED, EventStatus.CLOSED)),
                                 Event.starts_at <= now, Event.starts_at >= now - dt.timedelta(days=LIST_DAYS_BACK))
             .order_by(Event.starts_at.desc()))
    if scoped_unit_id() is not None:
        query = query.where(Event.unit_id == scoped_unit_id())
    rows = [(event, closing.status(db.session, event, now)) for event in db.session.scalars(query)]
    return render_template("console/closing.html", rows=rows)


def _page(event: Event, form: ClosingForm, status_code: int = 200):
    """Render the closing form with attendance and the deadline."""
    now = clock.now()
    return render_template("console/closing_form.html", event=event, form=form,
                           status=closing.status(db.session, event, now), started=event.starts_at <= now), status_code


@bp.get("/events/<int:event_id>/closing")
@readers
def closing_edit(event_id: int):
    """The closing record of one event."""
    event = _event(event_id)
    form = ClosingForm()
    form.materials.data, form.video_url.data, form.note.data = event.materials_url, event.video_url, event.closing_note
    return _page(event, form)


@bp.post("/events/<int:event_id>/closing")
@writers
def closing_save(event_id: int):
    """Save the closing record through services.programme.closing; errors go back to the form as typed."""
    event = _event(event_id)
    form = ClosingForm()
    if not form.validate_on_submit():
        return _page(event, form, 400)
    try:
        closing.record(db.session, event.id, current_user, form.materials.data or "", form.video_url.data or "",
                       form.note.data or "", clock.now(), ip=request.remote_addr or "",
                       base_url=current_app.extensions["settings"].PUBLIC_BASE_URL)
    except closing.ClosingError as error:
        db.session.rollback()
        form.materials.errors = [*form.materials.errors, str(error)]
        return _page(event, form, 400)
    db.session.commit()
    pushed = closing.pushed_count(db.session, event.id)
    flash("活动总结已保存。" + (f"视频或资料已推送给报名者和专题订阅者（{pushed} 人，每人一次）。" if pushed else ""),
          "success")
    return redirect(url_for("console.closing_edit", event_id=event.id))
