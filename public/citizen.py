"""Pages inside WeChat for the signed-in citizen: apply on one page, my applications, my suggestions.

They call the same services as the chat (one application per event, the same
validation and consent), show only the signed-in openid's data, mask personal
data as the chat does, and carry CSRF tokens. Submissions are rate-limited per
citizen. ``?size=large`` / ``?size=normal`` switches the large-text 长辈版.
"""

from __future__ import annotations

import limits
import redis
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from limits.errors import StorageError

from models import ApplicationStatus, db
from public import bp
from public.forms import ApplyForm, ConfirmForm
from public.signin import citizen_required
from services.calendar import clock
from services.messaging import wording
from services.participation import applications, suggestions, waitlist
from services.privacy import mask_mobile, mask_name
from services.programme import announcement, events, links

SUBMISSIONS = limits.parse("20 per minute")  # a citizen's submissions on these pages
STATUS_LABELS = {
    ApplicationStatus.APPLIED: "已报名，等待公开遴选", ApplicationStatus.SELECTED: "已入选",
    ApplicationStatus.WAITLISTED: "候补", ApplicationStatus.NOT_SELECTED: "未入选",
    ApplicationStatus.CANCELLED: "已取消", ApplicationStatus.CHECKED_IN: "已签到",
}
FIELD_ERRORS = {
    applications.InvalidName: ("name", "请填写 2–20 个字的真实姓名"),
    applications.InvalidMobile: ("mobile", "请填写 11 位手机号码，例如 13812345678"),
    applications.InvalidCategory: ("category", "请选择身份类别"),
    applications.InvalidStreet: ("street", "请选择所在街道（镇）"),
}
# The service's own checks, run on every filled field so that one submission shows every error at once.
FIELD_CHECKS = {"name": applications.clean_name, "mobile": applications.clean_mobile,
                "category": applications.clean_category, "street": applications.clean_street}


@bp.before_request
def _text_size() -> None:
    """(Citizens' pages only, never the webhook.) ``?size=large`` turns on the large-text 长辈版 for this browser; ``?size=normal`` turns it off."""
    size = request.args.get("size")
    if size in ("large", "normal"):
        session["large_text"] = size == "large"


@bp.context_processor
def _large_text() -> dict:
    return {"large_text": bool(session.get("large_text"))}


def _throttled() -> bool:
    """More than :data:`SUBMISSIONS` from this citizen (counted by the app's Flask-Limiter strategy, app/rate_limits.py)."""
    try:
        return not current_app.extensions["rate_limiter"].limiter.hit(SUBMISSIONS, "pages-submit", g.openid)
    except (redis.RedisError, StorageError):
        return False  # without Redis the services' own uniqueness still holds


def _too_many():
    return render_template("public/message.html", title="操作过于频繁",
                           message="您的操作过于频繁，请一分钟后再试。"), 429


@bp.get("/my/apply")
@citizen_required
def apply_list():
    """Events open for applications now, and which of them the citizen has applied to."""
    now = clock.now()
    mine = {a.event_id: a for a in applications.list_mine(db.session, g.openid)
            if a.status != ApplicationStatus.CANCELLED}
    found = events.open_for_applications(events.upcoming(db.session, now), now)
    return render_template("public/my_apply_list.html", events=found, mine=mine, w=wording,
                           windows={e.id: announcement.window_text(events.application_window(e, now)) for e in found})


@bp.route("/my/apply/<int:event_id>", methods=["GET", "POST"])
@citizen_required
def apply_form(event_id: int):
    """One page for the whole application: the chat's fields, validation, consent and rules."""
    now = clock.now()
    try:
        event = applications.check_can_apply(db.session, g.openid, event_id, now)
    except events.EventNotFound:
        abort(404)
    except applications.AlreadyApplied as exc:
        flash(f"您已报名“{exc.application.event.title}”，状态：{STATUS_LABELS[exc.application.status]}。", "info")
        return redirect(url_for("public.my_applications"))
    except applications.ApplicationsClosed as exc:
        return render_template("public/message.html", title=exc.event.title,
                               message=f"本场活动目前不能报名：{announcement.window_text(exc.window)}。",
                               back=url_for("public.apply_list"))
    form = ApplyForm()
    form.category.choices = [("", "请选择")] + [(c, c) for c in applications.CATEGORIES]
    if request.method == "GET":
        saved = applications.saved_details(db.session, g.openid) or {}
        form.process(data=saved)
    elif _all_fields_valid(form):
        if _throttled():
            return _too_many()
        try:
            application = applications.apply(db.session, g.openid, event.id, name=form.name.data, mobile=form.mobile.data,
                               category=form.category.data, street=form.street.data, reason=form.reason.data or "",
                               now=now)
        except tuple(FIELD_ERRORS) as error:
            db.session.rollback()
            field, message = FIELD_ERRORS[type(error)]
            getattr(form, field).errors = [message]
        except applications.AlreadyApplied:
            db.session.rollback()
            flash("您已报名本场活动。", "info")
            return redirect(url_for("public.my_applications"))
        except applications.ApplicationsClosed as exc:
            db.session.rollback()
            flash(f"报名未能提交：{announcement.window_text(exc.window)}。", "error")
            return redirect(url_for("public.apply_list"))
        else:
            db.session.commit()
            flash(f"报名成功！“{event.title}”将于 {wording.when(events.application_window(event, now).closes_at)}"
                  f" 报名截止后公开遴选，结果会通过公众号通知您。报名编号：{application.number}", "success")
            return redirect(url_for("public.my_applications"))
    composed = announcement.compose(event, now, current_app.extensions["settings"].PUBLIC_BASE_URL)
    return render_template("public/my_apply_form.html", form=form, event=event, a=composed,
                           retention_days=current_app.extensions["settings"].RETENTION_DAYS)


def _all_fields_valid(form: ApplyForm) -> bool:
    """The form's checks and the service's, on every field: a bad mobile shows beside a missing name."""
    valid = form.validate_on_submit()
    for name, check in FIELD_CHECKS.items():
        field = getattr(form, name)
        if field.errors or not field.data:
            continue  # the form's own message (e.g. 请填写手机号码) already stands
        try:
            check(field.data)
        except tuple(FIELD_ERRORS) as error:
            field.errors = [*field.errors, FIELD_ERRORS[type(error)][1]]
            valid = False
    return valid


@bp.get("/my/applications")
@citizen_required
def my_applications():
    """The citizen's applications: status, entry pass, cancel, accept or decline a waiting-list offer."""
    now = clock.now()
    mine = sorted(applications.list_mine(db.session, g.openid), key=lambda a: a.event.starts_at)
    rows = []
    for application in mine:
        offered = waitlist.is_offered(application) and application.offer_expires_at > now
        position = (waitlist.waitlist_position(db.session, application)
                    if application.status == ApplicationStatus.WAITLISTED and not offered else None)
        rows.append({
            "application": application, "status": STATUS_LABELS[application.status], "offered": offered,
            "position": position, "when": wording.when(application.event.starts_at),
            "name": mask_name(application.name), "mobile": mask_mobile(application.mobile),
            "pass_url": links.pass_url(application.checkin_code) if application.checkin_code and
            application.status in (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN) else "",
            "can_cancel": application.status in applications.ACTIVE and now < application.event.starts_at,
            "offer_deadline": wording.when(application.offer_expires_at) if offered else "",
        })
    return render_template("public/my_applications.html", rows=rows, form=ConfirmForm())


def _mine_or_404(application_id: int):
    try:
        return applications.get_mine(db.session, g.openid, application_id)
    except applications.ApplicationNotFound:
        abort(404)


@bp.route("/my/applications/<int:application_id>/cancel", methods=["GET", "POST"])
@citizen_required
def cancel_application(application_id: int):
    """Ask, then cancel; a freed seat goes to the first person waiting."""
    application = _mine_or_404(application_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if _throttled():
            return _too_many()
        try:
            applications.cancel(db.session, g.openid, application.id, clock.now())
        except applications.CannotCancel:
            db.session.rollback()
            flash("该报名已不能取消（活动已开始，或报名已结束）。", "error")
        else:
            db.session.commit()
            flash(f"已取消“{application.event.title}”的报名。", "success")
        return redirect(url_for("public.my_applications"))
    return render_template("public/my_cancel.html", application=application, form=form,
                           when=wording.when(application.event.starts_at))


@bp.post("/my/applications/<int:application_id>/offer")
@citizen_required
def answer_offer(application_id: int):
    """Accept (``answer=accept``) or decline a waiting-list offer."""
    application = _mine_or_404(application_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if _throttled():
        return _too_many()
    accept = request.form.get("answer") == "accept"
    try:
        if accept:
            waitlist.accept_offer(db.session, g.openid, application.id, clock.now())
        else:
            waitlist.decline_offer(db.session, g.openid, application.id, clock.now())
    except waitlist.NoOffer:
        db.session.rollback()
        flash("递补名额已过期或已处理。", "error")
    else:
        db.session.commit()
        flash("已确认参加，请按时到场签到。" if accept else "已放弃递补名额，感谢您的关注。", "success")
    return redirect(url_for("public.my_applications"))


@bp.get("/my/suggestions")
@citizen_required
def my_suggestions():
    """The citizen's suggestions with their tracking numbers, replies and adoption."""
    mine = suggestions.list_mine(db.session, g.openid)
    return render_template("public/my_suggestions.html", suggestions=mine, w=wording)
