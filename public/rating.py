"""The signed-in rating page (好差评): rate an event attended (or watched online), change it within
the window, and rate once more (追评) after the unit answered a 差评. Same service as the chat."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from models import Event, db
from public import bp
from public.forms import CitizenForm
from public.signin import citizen_required
from services import intake
from services.calendar import clock
from services.messaging import wording
from services.participation import ratings
from services.participation.rating_texts import LEVELS

REFUSALS = {
    ratings.EventNotRatable: "这场活动目前不能评价：活动尚未结束或已取消。",
    ratings.RatingClosed: f"这场活动的满意度评价已于活动结束 {ratings.WINDOW.days} 天后截止。",
    ratings.NotAttended: ("满意度评价面向现场签到参加本场活动的人员；直播活动还面向报名了本场活动、"
                          "或通过公众号活动页面“进入直播”观看的市民。"),
}
FIELD_ERRORS = {
    ratings.InvalidLevel: ("level", "请选择 1–5 中的一项满意度。"),
    ratings.CommentTooLong: ("comment", f"评价意见请控制在 {ratings.COMMENT_CHARS} 字以内。"),
}
# A tag ticked that the chosen level does not offer: name the tags and the level, and what to do.
TAGS_MISMATCH = "您选择的满意度是“{level}”，{tags}不是“{level}”时可选的评价标签：请取消勾选，或改选满意度。"


def _field_error(exc: ratings.RatingError) -> tuple[str, str]:
    """(field, message) of a value the service refused."""
    if isinstance(exc, ratings.InvalidTags):
        tags = "、".join(f"“{tag}”" for tag in exc.stray)
        return "tags", TAGS_MISMATCH.format(level=LEVELS[exc.level], tags=tags)
    return FIELD_ERRORS[type(exc)]


FLOOD = "感谢您的反馈！您在一小时内已填写 {limit} 条评价意见，请于 {when} 后再填写；也可以清空意见，直接提交本次评价。"


class RatingForm(CitizenForm):
    """Only the CSRF token: the fields are read from the request and checked by the service."""


def _flood(exc: intake.TooManyPosts) -> str:
    return FLOOD.format(limit=exc.limit, when=wording.when(exc.retry_at))


def _refused(event: Event | None, exc: ratings.RatingError):
    return render_template("public/message.html", title=event.title if event else "满意度评价",
                           message=REFUSALS.get(type(exc), REFUSALS[ratings.EventNotRatable]),
                           back=url_for("public.my_applications")), 403


def _page(event: Event, form: RatingForm, values: dict, errors: dict, again=None, status: int = 200,
          closed: bool = False):
    existing = ratings.mine(db.session, g.openid, event.id)
    tags = {level: ratings.tags_for(level) for level in LEVELS}
    return render_template("public/rating.html", event=event, form=form, levels=LEVELS, tags=tags, values=values,
                           errors=errors, existing=existing, again=again, closed=closed, limit=ratings.COMMENT_CHARS,
                           until=wording.when(ratings.closes_at(event))), status


@bp.route("/my/ratings/<int:event_id>", methods=["GET", "POST"])
@citizen_required
def rate_event(event_id: int):
    """Rate (or change the rating of) one event; 追评 when the unit answered a 差评."""
    now = clock.now()
    event = db.session.get(Event, event_id)
    form = RatingForm()
    again = next((r for r in ratings.again_open(db.session, g.openid, now) if r.event_id == event_id), None)
    if again is not None:
        return _rate_again(event, form, again, now)
    existing = ratings.mine(db.session, g.openid, event_id)
    try:
        ratings.ratable_event(db.session, event_id, now)
        ratings.participation(db.session, g.openid, event)
    except ratings.RatingClosed as exc:
        if request.method == "GET" and existing is not None:  # what was rated stays readable, without the form
            return _page(event, form, {}, {}, closed=True)
        return _refused(event, exc)
    except ratings.RatingError as exc:
        return _refused(event, exc)
    if request.method == "GET" or not form.validate_on_submit():
        values = {"level": existing.level, "tags": existing.tags, "comment": existing.comment} if existing else {}
        return _page(event, form, values, {}, status=200 if request.method == "GET" else 400)
    values = {"level": request.form.get("level", ""), "tags": request.form.getlist("tags"),
              "comment": intake.clean_text(request.form.get("comment", ""))}
    try:
        rating, created = ratings.rate(db.session, g.openid, event_id, values["level"], values["tags"],
                                       values["comment"], now, source="page")
    except (*FIELD_ERRORS, ratings.InvalidTags) as exc:
        db.session.rollback()
        field, message = _field_error(exc)
        return _page(event, form, values, {field: message}, status=400)
    except intake.TooManyPosts as exc:
        db.session.rollback()
        return _page(event, form, values, {"comment": _flood(exc)}, status=429)
    except ratings.RatingError as exc:
        db.session.rollback()
        return _refused(event, exc)
    db.session.commit()
    done = "感谢您的评价！" if created else "已修改您的评价。"
    if rating.level in ratings.BAD:
        done += f"我们已将您的意见转{event.unit.name}，将在 1 个工作日内回访、15 个工作日内整改答复。"
    flash(done, "success")
    return redirect(url_for("public.rate_event", event_id=event_id))


def _rate_again(event: Event, form: RatingForm, again, now):
    """The 追评 form: a level and a comment, once."""
    if request.method == "GET" or not form.validate_on_submit():
        return _page(event, form, {}, {}, again=again, status=200 if request.method == "GET" else 400)
    values = {"level": request.form.get("level", ""), "comment": intake.clean_text(request.form.get("comment", ""))}
    try:
        ratings.rate_again(db.session, g.openid, again.id, values["level"], values["comment"], now)
    except tuple(FIELD_ERRORS) as exc:
        db.session.rollback()
        field, message = FIELD_ERRORS[type(exc)]
        return _page(event, form, values, {field: message}, again=again, status=400)
    except intake.TooManyPosts as exc:
        db.session.rollback()
        return _page(event, form, values, {"comment": _flood(exc)}, again=again, status=429)
    except ratings.AgainNotOpen:
        db.session.rollback()
        flash("这条评价已追评过或已超过追评期限。", "error")
        return redirect(url_for("public.my_applications"))
    db.session.commit()
    flash("感谢您的追评！", "success")
    return redirect(url_for("public.rate_event", event_id=event.id))


@bp.get("/my/live/<int:event_id>")
@citizen_required
def open_livestream(event_id: int):
    """The event page's 进入直播: note the signed-in viewer (who may then rate the event), then the livestream."""
    try:
        event = ratings.open_livestream(db.session, g.openid, event_id, clock.now())
    except ratings.EventNotRatable:
        db.session.rollback()
        return redirect(url_for("public.event_page", event_id=event_id))
    db.session.commit()
    return redirect(event.livestream_url)
