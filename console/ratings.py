"""好差评: the follow-ups a 差评 opens, for the event's unit to call back and answer.

Unit staff see their unit's follow-ups, coordinators all, auditors read. The list
is coloured like the compliance board (red: a deadline passed). Personal data is
masked in the list; the detail shows the participant's contact in clear to those
who may call back (coordinators and the unit), masked to auditors.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from console import NAV, bp
from console.access import actor_ip, may_see_personal_data, readers, scoped_unit_id, writers
from console.forms import ConsoleForm
from console.rating_board import OVERDUE_LABELS
from models import Application, RatingFollowUp, db
from services.calendar import clock
from services.participation import rating_followups as followups
from services.participation.rating_texts import LEVELS
from services.privacy import mask_mobile, mask_name

NAV.append(("console.rating_follow_ups", "差评回访", None))

STATE_LABELS = {followups.RED: "已超期", followups.AMBER: "今日到期", followups.GREEN: "办理中",
                followups.DONE: "已答复"}
FORM_ERRORS = {"note": "请填写回访情况（不超过 1000 字）", "reply": "请填写整改答复（不超过 1000 字）",
               "replied": "该差评已答复，不能重复答复"}


class CallbackForm(ConsoleForm):
    """What the unit learned when it called the citizen back."""

    note = TextAreaField("回访情况", validators=[DataRequired("请填写回访情况"), Length(max=followups.REPLY_CHARS)])


class AnswerForm(ConsoleForm):
    """The unit's answer, pushed to the citizen."""

    reply = TextAreaField("整改答复", validators=[DataRequired("请填写整改答复"), Length(max=followups.REPLY_CHARS)])


def _contact(follow_up: RatingFollowUp, clear: bool) -> dict:
    """The participant's name and mobile from their checked-in application ('' for online raters)."""
    application = db.session.scalar(select(Application).where(
        Application.event_id == follow_up.event_id, Application.citizen_id == follow_up.rating.citizen_id))
    if application is None or application.erased_at is not None:
        return {"name": "", "mobile": ""}
    if clear:
        return {"name": application.name or "", "mobile": application.mobile or ""}
    return {"name": mask_name(application.name), "mobile": mask_mobile(application.mobile)}


def _load(follow_up_id: int) -> RatingFollowUp:
    try:
        return followups.get(db.session, follow_up_id, scoped_unit_id())
    except followups.FollowUpNotFound:
        abort(404)


@bp.get("/ratings/follow-ups")
@readers
def rating_follow_ups():
    """Every follow-up in scope with its deadlines and colour; overdue first."""
    today = clock.today_local()
    rows = [(f, followups.state(f, today)) for f in followups.listing(db.session, scoped_unit_id())]
    order = {followups.RED: 0, followups.AMBER: 1, followups.GREEN: 2, followups.DONE: 3}
    rows.sort(key=lambda row: order[row[1].status])
    contacts = {f.id: _contact(f, clear=False) for f, _ in rows}
    return render_template("console/ratings.html", rows=rows, contacts=contacts, levels=LEVELS,
                           state_labels=STATE_LABELS, overdue_labels=OVERDUE_LABELS)


def _detail(follow_up: RatingFollowUp, callback: CallbackForm | None = None, answer: AnswerForm | None = None):
    return render_template(
        "console/ratings_detail.html", f=follow_up, state=followups.state(follow_up, clock.today_local()),
        contact=_contact(follow_up, clear=may_see_personal_data()), levels=LEVELS, state_labels=STATE_LABELS,
        overdue_labels=OVERDUE_LABELS, callback=callback or CallbackForm(), answer=answer or AnswerForm())


@bp.get("/ratings/follow-ups/<int:follow_up_id>")
@readers
def rating_follow_up(follow_up_id: int):
    """One 差评: the rating, the deadlines, the callback and the answer."""
    return _detail(_load(follow_up_id))


@bp.post("/ratings/follow-ups/<int:follow_up_id>/callback")
@writers
def rating_callback(follow_up_id: int):
    """Record the callback (回访)."""
    follow_up = _load(follow_up_id)
    form = CallbackForm()
    if not form.validate_on_submit():
        return _detail(follow_up, callback=form), 400
    try:
        followups.record_callback(db.session, follow_up.id, current_user, form.note.data, clock.now(),
                                  scoped_unit_id(), ip=actor_ip())
    except followups.InvalidFollowUp as exc:
        form.note.errors = [FORM_ERRORS[exc.field]]
        return _detail(follow_up, callback=form), 400
    db.session.commit()
    flash("已记录回访情况。", "success")
    return redirect(url_for("console.rating_follow_up", follow_up_id=follow_up.id))


@bp.post("/ratings/follow-ups/<int:follow_up_id>/answer")
@writers
def rating_answer(follow_up_id: int):
    """Publish the answer (整改答复): pushed to the citizen, who may then rate once more."""
    follow_up = _load(follow_up_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _detail(follow_up, answer=form), 400
    try:
        followups.answer(db.session, follow_up.id, current_user, form.reply.data, clock.now(), scoped_unit_id(),
                         ip=actor_ip())
    except followups.InvalidFollowUp as exc:
        if exc.field == "replied":  # answered meanwhile (another tab, a colleague): nothing is pushed twice
            db.session.rollback()
            flash(FORM_ERRORS["replied"], "error")
            return redirect(url_for("console.rating_follow_up", follow_up_id=follow_up.id))
        form.reply.errors = [FORM_ERRORS[exc.field]]
        return _detail(follow_up, answer=form), 400
    db.session.commit()
    flash("整改答复已发布，将推送给市民。", "success")
    return redirect(url_for("console.rating_follow_up", follow_up_id=follow_up.id))
