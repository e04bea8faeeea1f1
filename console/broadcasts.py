"""Broadcasts (群发): compose, preview to one's own WeChat, send, live progress, history."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import NAV, bp
from console.access import readers, writers
from console.forms_staff import AUDIENCE_CHOICES, BroadcastForm, EmptyForm
from models import BroadcastAudience, BroadcastStatus, StaffRole, Topic, db
from services.calendar import clock
from services.messaging import broadcasts

NAV.append(("console.broadcasts_list", "群发", None))


def _load(broadcast_id: int):
    """The broadcast, or 404 / 403."""
    try:
        return broadcasts.get_visible(db.session, current_user, broadcast_id)
    except LookupError:
        abort(404)
    except broadcasts.BroadcastForbidden:
        abort(403)


def _fill_choices(form: BroadcastForm) -> None:
    """Audiences, topics and events this staff member may use."""
    if current_user.role != StaffRole.COORDINATOR:
        form.audience.choices = [c for c in AUDIENCE_CHOICES if c[0] in broadcasts.EVENT_AUDIENCES]
    topics = db.session.scalars(select(Topic).order_by(Topic.sort_order)).all()
    form.topic_id.choices = [("", "请选择专题")] + [(t.id, t.name) for t in topics]
    events = broadcasts.event_choices(db.session, current_user)
    form.event_id.choices = [("", "请选择活动")] + [
        (e.id, f"{clock.local(e.starts_at):%m-%d} {e.title}（{e.unit.name}）") for e in events]


def _ref(form: BroadcastForm) -> int | None:
    """The topic or event the chosen audience refers to."""
    audience = form.audience.data
    if audience == BroadcastAudience.TOPIC:
        return form.topic_id.data
    if audience in broadcasts.EVENT_AUDIENCES:
        return form.event_id.data
    return None


def _save(form: BroadcastForm, broadcast_id: int | None):
    """Validate and save; returns the draft or None (errors attached to the form)."""
    allowed = {value for value, _ in form.audience.choices}
    if request.method == "POST" and request.form.get("audience") not in allowed | {None}:
        known = {value for value, _ in AUDIENCE_CHOICES}
        abort(403 if request.form.get("audience") in known else 400)
    if not form.validate_on_submit():
        return None
    try:
        draft = broadcasts.save_draft(
            db.session, current_user, form.audience.data, _ref(form), form.kind.data, form.title.data or "",
            form.content.data or "", form.url.data or "", clock.now(), broadcast_id=broadcast_id,
            ip=request.remote_addr or "")
    except broadcasts.BroadcastForbidden:
        abort(403)
    except broadcasts.BroadcastError as error:
        db.session.rollback()
        form.content.errors = [*form.content.errors, str(error)]
        return None
    db.session.commit()
    return draft


@bp.get("/broadcasts")
@readers
def broadcasts_list():
    """History of broadcasts, with this month's mass-send quota."""
    rows = broadcasts.history(db.session, current_user)
    broadcasts.settle_all(db.session, rows, clock.now())  # the same counts the broadcast's own page shows
    db.session.commit()
    labels = {b.id: broadcasts.audience_label(db.session, b) for b in rows}
    return render_template("console/broadcasts.html", rows=rows, labels=labels,
                           quota=broadcasts.mass_quota(db.session, clock.now()))



@bp.route("/broadcasts/new", methods=["GET", "POST"])
@writers
def broadcast_new():
    """Compose a new broadcast (saved as a draft, then previewed and sent from its page)."""
    form = BroadcastForm()
    _fill_choices(form)
    if current_user.role != StaffRole.COORDINATOR and request.method == "GET":
        form.audience.data = BroadcastAudience.APPLICANTS.value
        form.event_id.data = request.args.get("event_id", type=int)
    draft = _save(form, None)
    if draft is not None:
        flash("草稿已保存。请先预览，确认无误后发送。", "success")
        return redirect(url_for("console.broadcast_detail", broadcast_id=draft.id))
    return render_template("console/broadcasts_form.html", form=form, broadcast=None,
                           quota=broadcasts.mass_quota(db.session, clock.now()))


@bp.route("/broadcasts/<int:broadcast_id>/edit", methods=["GET", "POST"])
@writers
def broadcast_edit(broadcast_id: int):
    """Change a draft."""
    broadcast = _load(broadcast_id)
    if broadcast.status != BroadcastStatus.DRAFT:
        flash("该群发已发送，不能再修改。", "error")
        return redirect(url_for("console.broadcast_detail", broadcast_id=broadcast.id))
    form = BroadcastForm(obj=broadcast if request.method == "GET" else None)
    _fill_choices(form)
    if request.method == "GET":
        form.audience.data = broadcast.audience_kind.value
        form.kind.data = broadcast.kind.value
        form.topic_id.data = form.event_id.data = broadcast.audience_ref
    if _save(form, broadcast.id) is not None:
        flash("草稿已更新。", "success")
        return redirect(url_for("console.broadcast_detail", broadcast_id=broadcast.id))
    return render_template("console/broadcasts_form.html", form=form, broadcast=broadcast,
                           quota=broadcasts.mass_quota(db.session, clock.now()))


@bp.get("/broadcasts/<int:broadcast_id>")
@readers
def broadcast_detail(broadcast_id: int):
    """One broadcast: content, audience, preview/send buttons, live progress and report."""
    broadcast = _load(broadcast_id)
    now = clock.now()
    progress = broadcasts.progress(db.session, broadcast, now)
    db.session.commit()  # progress may have closed the broadcast
    size = len(broadcasts.audience_openids(db.session, broadcast.audience_kind, broadcast.audience_ref)) \
        if broadcast.status == BroadcastStatus.DRAFT else broadcast.total
    text = broadcasts.message_text(broadcast.kind, broadcast.title, broadcast.content, broadcast.url)
    return render_template(
        "console/broadcasts_detail.html", broadcast=broadcast, progress=progress, size=size, text=text,
        waiting=broadcasts.waiting(broadcast),
        label=broadcasts.audience_label(db.session, broadcast), quota=broadcasts.mass_quota(db.session, now),
        form=EmptyForm(), is_mass=broadcast.audience_kind == BroadcastAudience.ALL)


@bp.get("/broadcasts/<int:broadcast_id>/progress.json")
@readers
def broadcast_progress(broadcast_id: int):
    """Live progress for the progress bar (polled by broadcast.js)."""
    broadcast = _load(broadcast_id)
    from console.outbox import error_label

    progress = broadcasts.progress(db.session, broadcast, clock.now())
    db.session.commit()
    data = progress.as_dict()
    for failure in data["failures"]:
        failure["label"] = error_label(failure["code"], failure["error"])
    return jsonify({**data, "status": broadcast.status.value, "total": broadcast.total,
                    "sent_count": broadcast.sent_count, "failed_count": broadcast.failed_count,
                    "waiting": broadcasts.waiting(broadcast)})


def _act(broadcast_id: int, action, success: str):
    """Run a preview or send; flash the outcome and go back to the broadcast."""
    _load(broadcast_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, current_user, broadcast_id, clock.now(), ip=request.remote_addr or "")
    except broadcasts.BroadcastForbidden:
        abort(403)
    except broadcasts.BroadcastError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("console.broadcast_detail", broadcast_id=broadcast_id))


@bp.post("/broadcasts/<int:broadcast_id>/preview")
@writers
def broadcast_preview(broadcast_id: int):
    """Send the draft to the staff member's own WeChat."""
    return _act(broadcast_id, broadcasts.preview, "预览已发送到您绑定的微信，请在手机上查看。")


@bp.post("/broadcasts/<int:broadcast_id>/send")
@writers
def broadcast_send(broadcast_id: int):
    """Send the broadcast."""
    return _act(broadcast_id, broadcasts.send, "已开始发送，进度见下方。")
