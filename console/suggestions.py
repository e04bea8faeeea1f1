"""Suggestions inbox: filter, read (escaped), reply with an adoption status, drafts, bulk publish, assign.

Unit staff see the suggestions about their unit's events and the general ones assigned
to their unit; coordinators see all and assign general suggestions to a unit. Replies
go through ``services.participation.suggestions.reply``, which queues the push to the citizen.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from console import NAV, bp
from console.access import coordinators, readers, scoped_unit_id, writers
from console.forms_engagement import ProgressForm
from console.forms_staff import (
    ADOPTION_CHOICES,
    ADOPTION_LABELS,
    AssignForm,
    EmptyForm,
    ReplyForm,
    SuggestionFilterForm,
)
from models import Event, StaffRole, Suggestion, SuggestionStatus, Unit, db
from services import intake
from services.admin import stats
from services.calendar import clock
from services.participation import answers, progress, suggestions, triage

NAV.append(("console.suggestions_inbox", "意见建议", None))

PAGE_SIZE = 50
REPLY_ERRORS = {"reply_text": "请填写答复内容", "reason": "“暂不采纳”须填写理由", "adoption": "请选择采纳情况"}


def _visible():
    """Suggestions the current user may see (with their event joined for unit scoping)."""
    query = select(Suggestion).outerjoin(Event, Suggestion.event_id == Event.id)
    unit_id = scoped_unit_id()
    if unit_id is not None:
        query = query.where(stats.suggestion_unit_id() == unit_id)
    return query


def _load(suggestion_id: int) -> Suggestion:
    """One suggestion the user may see; 404 / 403 otherwise."""
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    unit_id = suggestion.event.unit_id if suggestion.event else suggestion.unit_id
    if current_user.role == StaffRole.UNIT and unit_id != current_user.unit_id:
        abort(403)
    return suggestion


def _local_day_start(day: dt.date) -> dt.datetime:
    """UTC instant of a local midnight."""
    return clock.to_utc(dt.datetime.combine(day, dt.time()))


def _filtered(form: SuggestionFilterForm):
    """The inbox query with the form's filters applied."""
    query = _visible()
    if form.event_id.data:
        query = query.where(Suggestion.event_id == form.event_id.data)
    if form.unit_id.data and scoped_unit_id() is None:
        query = query.where(stats.suggestion_unit_id() == form.unit_id.data)
    status = form.status.data
    if status == "draft":
        query = query.where(Suggestion.status == SuggestionStatus.RECEIVED, Suggestion.reply_draft != "")
    elif status in (SuggestionStatus.RECEIVED.value, SuggestionStatus.REPLIED.value):
        query = query.where(Suggestion.status == status)
    if form.date_from.data:
        query = query.where(Suggestion.created_at >= _local_day_start(form.date_from.data))
    if form.date_to.data:
        query = query.where(Suggestion.created_at < _local_day_start(form.date_to.data + dt.timedelta(days=1)))
    return query


def _filter_choices(form: SuggestionFilterForm) -> None:
    """Events and units the user may filter by."""
    events = select(Event).order_by(Event.starts_at.desc())
    if scoped_unit_id() is not None:
        events = events.where(Event.unit_id == scoped_unit_id())
    form.event_id.choices = [("", "全部活动")] + [(e.id, e.title) for e in db.session.scalars(events)]
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    form.unit_id.choices = [("", "全部单位")] + [(u.id, u.name) for u in units]


@bp.get("/suggestions")
@readers
def suggestions_inbox():
    """The inbox, newest first, filtered by event, unit, status and arrival date."""
    form = SuggestionFilterForm(request.args)
    _filter_choices(form)
    form.validate()
    query = _filtered(form)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.scalars(query.options(joinedload(Suggestion.event), joinedload(Suggestion.unit))
                              .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("console/suggestions.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), args=args, adoption_labels=ADOPTION_LABELS)


def _reply_form(suggestion: Suggestion, prefill: bool = False) -> ReplyForm:
    """The reply form, prefilled from the draft or the published reply on first display (or when asked)."""
    form = ReplyForm(formdata=None) if prefill else ReplyForm()
    if request.method == "GET" or prefill:
        form.reply_text.data = suggestion.reply_draft or suggestion.reply
        form.reason.data = suggestion.adoption_reason
        if suggestion.adoption is not None:
            form.adoption.data = suggestion.adoption.value
    return form


def _assign_form() -> AssignForm:
    """Units a coordinator may assign a general suggestion to."""
    form = AssignForm(prefix="assign")
    form.unit_id.choices = [("", "请选择单位")] + [
        (u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    return form


def _detail(suggestion: Suggestion, form: ReplyForm, status: int = 200, progress_form: ProgressForm | None = None):
    """Render the detail page (with the adoption's progress updates once adopted)."""
    return render_template("console/suggestions_detail.html", s=suggestion, form=form, assign=_assign_form(),
                           adoption_labels=ADOPTION_LABELS, progress_form=progress_form or ProgressForm(
                               formdata=None, prefix="progress"),
                           updates=progress.history(db.session, suggestion.id), followed=progress.is_followed(
                               suggestion), stage_label=progress.stage_label), status


@bp.get("/suggestions/<int:suggestion_id>")
@readers
def suggestion_detail(suggestion_id: int):
    """One suggestion with the reply form."""
    suggestion = _load(suggestion_id)
    return _detail(suggestion, _reply_form(suggestion))


@bp.post("/suggestions/<int:suggestion_id>/reply")
@writers
def suggestion_reply(suggestion_id: int):
    """Publish the reply (pushed to the citizen) or save it as a draft."""
    suggestion = _load(suggestion_id)
    form = _reply_form(suggestion)
    publish = request.form.get("action") != "draft"
    if not publish:  # a draft needs only its text
        form.reason.validators = form.adoption.validators = []
    if not form.validate_on_submit() and (publish or form.reply_text.errors):
        return _detail(suggestion, form, 400)
    now = clock.now()
    try:
        answers.reply_suggestion(db.session, suggestion.id, current_user, form.adoption.data, form.reply_text.data,
                                 form.reason.data or "", now, publish=publish, ip=request.remote_addr or "")
    except suggestions.InvalidReply as error:
        db.session.rollback()
        field = {"reason": form.reason, "adoption": form.adoption}.get(str(error), form.reply_text)
        field.errors = [*field.errors, REPLY_ERRORS.get(str(error), "答复内容不完整")]
        return _detail(suggestion, form, 400)
    db.session.commit()
    flash("答复已发布，将推送给市民。" if publish else "答复草稿已保存。", "success")
    return redirect(url_for("console.suggestion_detail", suggestion_id=suggestion.id))


PROGRESS_ERRORS = {
    progress.NotAdopted: ("stage", "只有已发布“采纳”或“部分采纳”答复的建议才需报送落实进展"),
    progress.InvalidStage: ("stage", "请选择落实阶段"),
    progress.NoteRequired: ("note", "请填写进展说明"),
    progress.BadProgressDate: ("day", "进展日期不能晚于今天，也不能早于答复日期"),
    progress.AlreadyDone: ("stage", "该建议已报送“已完成”，无需再更新"),
}


@bp.post("/suggestions/<int:suggestion_id>/progress")
@writers
def suggestion_progress(suggestion_id: int):
    """Record a progress update on an adopted suggestion; pushed to the citizen and listed publicly."""
    suggestion = _load(suggestion_id)
    form = ProgressForm(prefix="progress")
    if not form.validate_on_submit():
        return _detail(suggestion, _reply_form(suggestion, prefill=True), 400, form)
    try:
        progress.add(db.session, suggestion.id, current_user, form.stage.data, form.note.data, form.day.data,
                     clock.now(), ip=request.remote_addr or "")
    except progress.ProgressError as error:
        db.session.rollback()
        if isinstance(error, progress.NotAdopted | progress.AlreadyDone):  # no form on that page: say it on top
            flash(PROGRESS_ERRORS[type(error)][1], "error")
            return _detail(suggestion, _reply_form(suggestion, prefill=True), 400, form)
        if isinstance(error, progress.NoteTooLong):
            field, message = "note", f"进展说明不超过 {progress.MAX_NOTE_CHARS} 字（现 {error.length} 字）"
        else:
            field, message = PROGRESS_ERRORS[type(error)]
        getattr(form, field).errors = [*getattr(form, field).errors, message]
        return _detail(suggestion, _reply_form(suggestion, prefill=True), 400, form)
    db.session.commit()
    flash("落实进展已保存，将推送给市民，并在“采纳建议落实情况”页面公开。", "success")
    return redirect(url_for("console.suggestion_detail", suggestion_id=suggestion.id))


@bp.post("/suggestions/<int:suggestion_id>/assign")
@coordinators
def suggestion_assign(suggestion_id: int):
    """Assign a general suggestion (not about an event) to a unit."""
    suggestion = _load(suggestion_id)
    form = _assign_form()
    if suggestion.event_id is not None:
        flash("关于具体活动的意见建议由该活动的主责单位办理，无需分派。", "error")
    elif not form.validate_on_submit():
        flash("请选择要分派的单位。", "error")
    else:
        try:
            triage.route(db.session, suggestion.id, form.unit_id.data, current_user, clock.now(),
                         ip=request.remote_addr or "")
        except triage.NothingToRoute:
            db.session.rollback()
            flash("请选择要分派的单位。", "error")
        else:
            db.session.commit()
            flash("已分派。", "success")
    return redirect(url_for("console.suggestion_detail", suggestion_id=suggestion.id))


@bp.get("/suggestions/drafts")
@writers
def suggestion_drafts():
    """Drafted replies, each with its adoption status and reason, to publish together."""
    rows = db.session.scalars(_visible().where(
        Suggestion.status == SuggestionStatus.RECEIVED, Suggestion.reply_draft != "")
        .order_by(Suggestion.created_at)).all()
    return render_template("console/suggestions_drafts.html", rows=rows, choices=ADOPTION_CHOICES,
                           form=EmptyForm(), errors={}, values=request.form)


@bp.post("/suggestions/drafts/publish")
@writers
def suggestion_publish_drafts():
    """Publish the chosen drafts; a row with a problem stays a draft and is reported."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    now, published, errors = clock.now(), 0, {}
    for suggestion in db.session.scalars(_visible().where(Suggestion.id.in_(ids))).all():
        if suggestion.status != SuggestionStatus.RECEIVED or not suggestion.reply_draft:
            continue
        adoption = request.form.get(f"adoption-{suggestion.id}", "")
        reason = intake.clean_text(request.form.get(f"reason-{suggestion.id}", "")).strip()
        if not reason:
            errors[suggestion.id] = "请填写理由或办理说明"
            continue
        try:
            with db.session.begin_nested():
                answers.reply_suggestion(db.session, suggestion.id, current_user, adoption, suggestion.reply_draft,
                                         reason, now, publish=True)
            published += 1
        except suggestions.InvalidReply as error:
            errors[suggestion.id] = REPLY_ERRORS.get(str(error), "答复内容不完整")
    db.session.commit()
    if published:
        flash(f"已发布 {published} 条答复，将推送给市民。", "success")
    if errors or not ids:
        rows = db.session.scalars(_visible().where(
            Suggestion.status == SuggestionStatus.RECEIVED, Suggestion.reply_draft != "")
            .order_by(Suggestion.created_at)).all()
        if not ids:
            flash("请先勾选要发布的答复。", "error")
        return render_template("console/suggestions_drafts.html", rows=rows, choices=ADOPTION_CHOICES,
                               form=EmptyForm(), errors=errors, values=request.form), 400
    return redirect(url_for("console.suggestion_drafts"))

