"""Event pages: list, calendar, create, edit, publish (with the announcement preview), cancel, postpone.

Views validate forms and call ``services.programme.event_admin``; its typed errors become
form errors or flashed messages. Unit staff see and change only their unit's
events (another unit's event answers 403); auditors read only.
"""

from __future__ import annotations

import calendar
import datetime as dt

import structlog
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import NAV, bp
from console.access import event_or_404, readers, scoped_unit_id, writers
from console.forms import CancelForm, EventForm, PostponeForm, PublishForm
from models import Event, EventStatus, StaffRole, Topic, Unit, db
from services.calendar import clock, workdays
from services.messaging import wording
from services.programme import announcement, event_admin

log = structlog.get_logger("console.events")
NAV.append(("console.events", "活动管理", None))
NAV.append(("console.events_calendar", "活动日历", None))

STATUS_LABELS = {EventStatus.DRAFT: "草稿", EventStatus.PUBLISHED: "已发布",
                 EventStatus.CANCELLED: "已取消", EventStatus.CLOSED: "已结束"}
STATUS_COLOURS = {EventStatus.DRAFT: "amber", EventStatus.PUBLISHED: "green",
                  EventStatus.CANCELLED: "red", EventStatus.CLOSED: ""}
EVENT_FIELDS = ("title", "kind", "mode", "unit_id", "co_hosts", "topic_id", "starts_at", "duration_minutes",
                "place", "summary", "agenda", "online_participation", "livestream_url", "seats",
                "apply_opens_at", "apply_closes_at", "selection_planned_on")
LOCAL_TIME_FIELDS = ("starts_at", "apply_opens_at", "apply_closes_at")


@bp.app_template_global()
def event_labels() -> dict:
    """Chinese labels for event enums, for every console template."""
    return {"status": STATUS_LABELS, "colour": STATUS_COLOURS, "kind": wording.KIND_LABELS, "mode": wording.MODE_LABELS}


def _scoped(query):
    """Limit an Event query to the current user's unit when they are unit staff."""
    unit_id = scoped_unit_id()
    return query if unit_id is None else query.where(Event.unit_id == unit_id)


@bp.get("/events")
@readers
def events():
    """All events the user may see, upcoming first; filters: status, time range, text."""
    status = request.args.get("status", "")
    when = request.args.get("when", "upcoming")
    text = request.args.get("q", "").strip()
    unit_id = request.args.get("unit", type=int)
    query = _scoped(select(Event))
    if unit_id:
        query = query.where(Event.unit_id == unit_id)
    if status in {s.value for s in EventStatus}:
        query = query.where(Event.status == EventStatus(status))
    now = clock.now()
    if when == "upcoming":
        query = query.where(Event.starts_at >= now - dt.timedelta(hours=12)).order_by(Event.starts_at)
    elif when == "past":
        query = query.where(Event.starts_at < now).order_by(Event.starts_at.desc())
    else:
        query = query.order_by(Event.starts_at.desc())
    if text:
        query = query.where(Event.title.contains(text))
    rows = db.session.scalars(query.limit(500)).all()
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all() if scoped_unit_id() is None else []
    return render_template("console/events.html", events=rows, status=status, when=when, q=text, units=units,
                           unit_id=unit_id)


@bp.get("/events/calendar")
@readers
def events_calendar():
    """A month grid (Monday first) with each day's events; days off are shaded."""
    month = _month_arg(request.args.get("month", ""))
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start = clock.to_utc(dt.datetime.combine(first, dt.time()))
    end = clock.to_utc(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    rows = db.session.scalars(
        _scoped(select(Event)).where(Event.starts_at >= start, Event.starts_at < end).order_by(Event.starts_at)
    ).all()
    by_day: dict[dt.date, list[Event]] = {}
    for event in rows:
        by_day.setdefault(clock.local(event.starts_at).date(), []).append(event)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    off = {day for week in weeks for day in week if not workdays.is_working_day(day, strict=False)}
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = last + dt.timedelta(days=1)
    return render_template("console/events_calendar.html", weeks=weeks, by_day=by_day, off=off, month=first,
                           previous=previous, following=following, today=clock.today_local())


def _month_arg(raw: str) -> dt.date:
    """``YYYY-MM`` from the query string, or this month."""
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return clock.today_local().replace(day=1)


def _form_choices(form: EventForm) -> None:
    """Units (unit staff: their own only) and topics for the select fields."""
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    if current_user.role == StaffRole.UNIT:
        units = [u for u in units if u.id == current_user.unit_id]
    form.unit_id.choices = [(u.id, u.name) for u in units]
    topics = db.session.scalars(select(Topic).order_by(Topic.sort_order)).all()
    form.topic_id.choices = [("", "（不属于专题）")] + [(t.id, t.name) for t in topics]


def _event_data(form: EventForm) -> event_admin.EventData:
    """The service's input from a validated form (local times converted to UTC)."""
    values = {name: getattr(form, name).data for name in EVENT_FIELDS}
    for name in LOCAL_TIME_FIELDS:
        if values[name] is not None:
            values[name] = clock.to_utc(values[name])
    if current_user.role == StaffRole.UNIT:
        values["unit_id"] = current_user.unit_id
    values["seats"] = values["seats"] or 0
    values["co_hosts"] = values["co_hosts"] or ""
    values["livestream_url"] = values["livestream_url"] or ""
    for name in ("place", "summary", "agenda", "online_participation"):
        values[name] = values[name] or ""
    return event_admin.EventData(**values)


def _fill_form(form: EventForm, event: Event) -> None:
    """Show an existing event in the form (local wall time)."""
    for name in EVENT_FIELDS:
        value = getattr(event, name)
        if name in LOCAL_TIME_FIELDS and value is not None:
            value = clock.local(value).replace(tzinfo=None)
        elif hasattr(value, "value"):
            value = value.value
        getattr(form, name).data = value


def _attach_errors(form, error: event_admin.InvalidEventData) -> None:
    """Show the service's field errors next to the fields (others as a flash)."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is None:
            flash(message, "error")
        else:
            field.errors = [*field.errors, message]


@bp.route("/events/new", methods=["GET", "POST"])
@writers
def event_new():
    """Create a draft event."""
    form = EventForm()
    _form_choices(form)
    if request.method == "GET" and current_user.role == StaffRole.UNIT:
        form.unit_id.data = current_user.unit_id
    if form.validate_on_submit():
        try:
            event = event_admin.create_event(db.session, _event_data(form), current_user, clock.now())
        except event_admin.InvalidEventData as error:
            _attach_errors(form, error)
        else:
            db.session.commit()
            flash("活动已保存为草稿。请检查公告预览后发布。", "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    return render_template("console/events_form.html", form=form, event=None)


@bp.get("/events/<int:event_id>")
@readers
def event_detail(event_id: int):
    """One event: facts, the announcement as citizens read it, and what can be done next."""
    event = event_or_404(event_id)
    check = event_admin.check_publish(event, clock.now())
    return render_template("console/events_detail.html", event=event, check=check,
                           announcement=announcement_text(event),
                           invited=event_admin.invited_count(db.session, event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@writers
def event_edit(event_id: int):
    """Edit an event (a published event's time changes through “延期”)."""
    event = event_or_404(event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        flash("已取消或已结束的活动不能再编辑。", "error")
        return redirect(url_for("console.event_detail", event_id=event.id))
    form = EventForm()
    _form_choices(form)
    if request.method == "GET":
        _fill_form(form, event)
    elif form.validate_on_submit():
        try:
            event_admin.update_event(db.session, event.id, _event_data(form), current_user, clock.now(),
                                     change_reason=form.change_reason.data or "")
        except event_admin.InvalidEventData as error:
            db.session.rollback()
            _attach_errors(form, error)
        else:
            db.session.commit()
            flash("修改已保存。", "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    return render_template("console/events_form.html", form=form, event=event)


@bp.route("/events/<int:event_id>/publish", methods=["GET", "POST"])
@writers
def event_publish(event_id: int):
    """The announcement exactly as citizens will read it, the rule checks, and the publish button."""
    event = event_or_404(event_id)
    form = PublishForm()
    if form.validate_on_submit():
        reason = form.override_reason.data or ""
        try:
            event_admin.publish_event(db.session, event.id, current_user, clock.now(), override_reason=reason)
        except event_admin.EventAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("活动已发布。" + ("关注该专题的市民将收到通知。" if event.topic_id else ""), "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    check = event_admin.check_publish(event, clock.now())
    return render_template("console/events_publish.html", event=event, form=form, check=check,
                           announcement=announcement_text(event))


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@writers
def event_cancel(event_id: int):
    """Cancel an event; applicants are told why."""
    event = event_or_404(event_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            told = event_admin.cancel_event(db.session, event.id, form.reason.data, current_user, clock.now())
        except event_admin.EventAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"活动已取消，已向 {told} 位报名者发送通知。", "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    return render_template("console/events_cancel.html", event=event, form=form)


@bp.route("/events/<int:event_id>/postpone", methods=["GET", "POST"])
@writers
def event_postpone(event_id: int):
    """Move an event to a later time; applicants are told."""
    event = event_or_404(event_id)
    form = PostponeForm()
    if form.validate_on_submit():
        new_start = clock.to_utc(form.starts_at.data)
        try:
            told = event_admin.postpone_event(db.session, event.id, new_start, form.reason.data, current_user,
                                              clock.now())
        except event_admin.InvalidEventData as error:
            db.session.rollback()
            _attach_errors(form, error)
        except event_admin.EventAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"活动已延期，已向 {told} 位报名者发送通知。", "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    return render_template("console/events_postpone.html", event=event, form=form)


def announcement_text(event: Event) -> str:
    """The announcement exactly as citizens will read it once published (the chat's paragraphs)."""
    settings = current_app.extensions["settings"]
    composed = announcement.compose(event, clock.now(), settings.PUBLIC_BASE_URL, as_published=True)
    return "\n\n".join(composed.paragraphs())


@bp.errorhandler(event_admin.EventNotFound)
def _not_found(_error):
    """A vanished event is a 404."""
    abort(404)
