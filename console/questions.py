"""讲座答疑: the questions citizens sent to a policy lecture, grouped; answered live or replied afterwards.

Every change goes through ``services.participation.questions`` (the written reply is
pushed to the citizen once, through the outbox). Staff see the question, never who asked.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from console import NAV, bp
from console.access import readers, require_unit, scoped_unit_id, writers
from console.forms_engagement import QuestionReplyForm
from console.forms_staff import EmptyForm
from models import Event, EventKind, EventStatus, LectureQuestion, QuestionStatus, db
from services.calendar import clock
from services.participation import answers, questions, questions_texts

NAV.append(("console.questions_list", "讲座答疑", None))

LIST_DAYS_BACK = 120


def _lecture(event_id: int) -> Event:
    """A policy lecture the user may see."""
    event = db.session.get(Event, event_id)
    if event is None or event.kind != EventKind.POLICY_LECTURE:
        abort(404)
    require_unit(event.unit_id)
    return event


def _question(question_id: int) -> LectureQuestion:
    """A question of a lecture the user may see."""
    question = db.session.get(LectureQuestion, question_id)
    if question is None:
        abort(404)
    _lecture(question.event_id)
    return question


@bp.get("/questions")
@readers
def questions_list():
    """Recent and upcoming policy lectures with how many questions wait for an answer."""
    now = clock.now()
    query = (select(Event).where(Event.kind == EventKind.POLICY_LECTURE,
                                 Event.status.in_((EventStatus.PUBLISHED, EventStatus.CLOSED)),
                                 Event.starts_at >= now - dt.timedelta(days=LIST_DAYS_BACK))
             .order_by(Event.starts_at))
    if scoped_unit_id() is not None:
        query = query.where(Event.unit_id == scoped_unit_id())
    lectures = db.session.scalars(query).all()
    counts = dict(db.session.execute(
        select(LectureQuestion.event_id, func.count(LectureQuestion.id))
        .where(LectureQuestion.status == QuestionStatus.OPEN).group_by(LectureQuestion.event_id)).all())
    totals = dict(db.session.execute(
        select(LectureQuestion.event_id, func.count(LectureQuestion.id)).group_by(LectureQuestion.event_id)).all())
    return render_template("console/questions_list.html", lectures=lectures, open_counts=counts, totals=totals,
                           now=now)


def _page(event: Event, forms: dict | None = None, status: int = 200):
    grouped = questions.for_event(db.session, event.id)
    forms = forms or {}
    for group in grouped.values():
        for question in group:
            if question.id not in forms:
                form = QuestionReplyForm(formdata=None, prefix=f"q{question.id}")
                form.reply.data = question.reply
                forms[question.id] = form
    return render_template("console/questions.html", event=event, grouped=grouped, forms=forms,
                           labels=questions_texts.STATUS_LABELS, action_form=EmptyForm(),
                           started=event.starts_at <= clock.now()), status


@bp.get("/events/<int:event_id>/questions")
@readers
def lecture_questions(event_id: int):
    """One lecture's questions: 待答复, 已现场解答, 已书面答复."""
    return _page(_lecture(event_id))


@bp.post("/questions/<int:question_id>/live")
@writers
def question_live(question_id: int):
    """Mark a question answered during the lecture."""
    question = _question(question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    answers.answer_live(db.session, question.id, current_user, clock.now(), ip=request.remote_addr or "",
                        base_url=current_app.extensions["settings"].PUBLIC_BASE_URL)
    db.session.commit()
    flash("已标记为现场解答，已告知提问市民；经公开审核后在活动页面公开。", "success")
    return redirect(url_for("console.lecture_questions", event_id=question.event_id) + f"#q{question.id}")


@bp.post("/questions/<int:question_id>/reply")
@writers
def question_reply(question_id: int):
    """A written reply, pushed to the citizen once; errors go back to the page with the typed text."""
    question = _question(question_id)
    form = QuestionReplyForm(prefix=f"q{question.id}")
    if not form.validate_on_submit():
        return _page(question.event, {question.id: form}, 400)
    try:
        answers.answer_in_writing(db.session, question.id, current_user, form.reply.data, clock.now(),
                                  ip=request.remote_addr or "", base_url=current_app.extensions["settings"].PUBLIC_BASE_URL)
    except questions.InvalidAnswer:
        db.session.rollback()
        form.reply.errors = [*form.reply.errors, "请填写答复内容"]
        return _page(question.event, {question.id: form}, 400)
    db.session.commit()
    flash("答复已保存，将推送给提问市民；经公开审核后在活动页面公开。", "success")
    return redirect(url_for("console.lecture_questions", event_id=question.event_id) + f"#q{question.id}")


@bp.post("/questions/<int:question_id>/publish")
@writers
def question_publish(question_id: int):
    """Show an answered question on the public page, or keep it off (e.g. it names a person)."""
    question = _question(question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    show = request.form.get("show") == "1"
    questions.set_published(db.session, question.id, show, current_user, clock.now(), ip=request.remote_addr or "")
    db.session.commit()
    flash("已在活动页面公开。" if show else "已从活动页面撤下。", "success")
    return redirect(url_for("console.lecture_questions", event_id=question.event_id) + f"#q{question.id}")
