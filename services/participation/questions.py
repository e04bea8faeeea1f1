"""Questions before a policy lecture (政策公开讲 会前征集问题 / 答疑).

Citizens send questions to an upcoming lecture; staff see them on the lecture's
page, mark each answered live (现场解答) or reply in writing afterwards (the reply
pushed to the citizen once); the public page lists the answered questions without
anything about who asked. A WeChat retry (``source_key``) or the same question
typed twice is stored once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Citizen, Event, EventKind, EventStatus, LectureQuestion, QuestionStatus
from services import intake
from services.admin import audit
from services.messaging import outbox, wording
from services.participation import citizens, questions_texts
from services.programme import links

MAX_CHARS = 500
MAX_REPLY_CHARS = 1000
REPLY_PURPOSE = "question_reply"
ANSWERED = (QuestionStatus.ANSWERED_LIVE, QuestionStatus.REPLIED)


class QuestionError(Exception):
    """Base of the errors an edge turns into its own words."""


class NotALecture(QuestionError):
    """Questions are collected for published policy lectures only."""


class LectureOver(QuestionError):
    """The lecture has started or is over: questions are no longer collected."""


class QuestionEmpty(QuestionError):
    """Nothing but blanks."""


class QuestionTooLong(QuestionError):
    """More than :data:`MAX_CHARS` characters; ``length`` says how many."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(length)


class QuestionNotFound(QuestionError):
    """No such question."""


class InvalidAnswer(QuestionError):
    """A written reply without text or longer than :data:`MAX_REPLY_CHARS`."""


def open_lectures(coming: list, now: dt.datetime) -> list:
    """Of the upcoming events ``coming`` (published, soonest first), the policy lectures that have not
    started yet: where questions go."""
    return [e for e in coming if e.kind == EventKind.POLICY_LECTURE and e.starts_at > now]


def lecture_for_questions(session, event_id: int, now: dt.datetime) -> Event:
    """The lecture if it still takes questions; :class:`NotALecture` or :class:`LectureOver` otherwise."""
    event = session.get(Event, event_id)
    if event is None or event.kind != EventKind.POLICY_LECTURE or event.status not in (
            EventStatus.PUBLISHED, EventStatus.CLOSED):
        raise NotALecture(event_id)
    if event.status == EventStatus.CLOSED or event.starts_at <= now:
        raise LectureOver(event_id)
    return event


def clean_text(text: str) -> str:
    """The question trimmed; :class:`QuestionEmpty` or :class:`QuestionTooLong`."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise QuestionEmpty()
    if len(cleaned) > MAX_CHARS:
        raise QuestionTooLong(len(cleaned))
    return cleaned


def ask(session, openid: str, event_id: int, text: str, now: dt.datetime,
        source_key: str | None = None) -> LectureQuestion:
    """Store a citizen's question to an upcoming lecture; a retry or the same question again returns the first.

    Past the citizen's hourly allowance: :class:`services.intake.TooManyPosts`, and nothing is stored.
    """
    event = lecture_for_questions(session, event_id, now)
    cleaned = clean_text(text)
    if source_key:
        previous = session.scalar(select(LectureQuestion).where(LectureQuestion.source_key == source_key))
        if previous is not None:
            return previous
    citizen = citizens.get_or_create(session, openid, now)
    for previous in session.scalars(select(LectureQuestion).where(
            LectureQuestion.event_id == event.id, LectureQuestion.citizen_id == citizen.id)):
        if previous.text == cleaned:  # the text is encrypted at rest: compared here, not in SQL
            return previous
    intake.check_post(openid, intake.QUESTION, now)  # only a question that will be stored counts
    question = LectureQuestion(event_id=event.id, citizen_id=citizen.id, text=cleaned, source_key=source_key,
                               status=QuestionStatus.OPEN, created_at=now)
    try:
        with session.begin_nested():
            session.add(question)
    except IntegrityError:
        # WeChat's retry of the same message won the race.
        return session.scalar(select(LectureQuestion).where(LectureQuestion.source_key == source_key))
    return question


def for_event(session, event_id: int) -> dict[QuestionStatus, list[LectureQuestion]]:
    """The lecture's questions grouped by status (待答复 first), oldest first in each group."""
    grouped: dict[QuestionStatus, list[LectureQuestion]] = {status: [] for status in QuestionStatus}
    for question in session.scalars(select(LectureQuestion).where(LectureQuestion.event_id == event_id)
                                    .order_by(LectureQuestion.created_at, LectureQuestion.id)):
        grouped[question.status].append(question)
    return grouped


def public_answered(session, event_id: int) -> list[LectureQuestion]:
    """Answered questions the page may show (published, not erased); the page shows no one's identity."""
    return list(session.scalars(select(LectureQuestion).where(
        LectureQuestion.event_id == event_id, LectureQuestion.status.in_(ANSWERED),
        LectureQuestion.published.is_(True), LectureQuestion.erased_at.is_(None))
        .order_by(LectureQuestion.answered_at, LectureQuestion.id)))


def _get(session, question_id: int) -> LectureQuestion:
    question = session.get(LectureQuestion, question_id)
    if question is None:
        raise QuestionNotFound(question_id)
    return question


def mark_live(session, question_id: int, staff, now: dt.datetime, ip: str = "") -> LectureQuestion:
    """The question was answered during the lecture (no push: the citizen heard it). Audited."""
    question = _get(session, question_id)
    if question.status == QuestionStatus.OPEN:
        question.status, question.answered_at = QuestionStatus.ANSWERED_LIVE, now
        question.answered_by_id, question.updated_at = getattr(staff, "id", None), now
        audit.record(session, now, "question.live", actor=staff, obj=question, after={"status": question.status},
                     ip=ip)
    return question


def reply(session, question_id: int, staff, text: str, now: dt.datetime, ip: str = "",
          base_url: str | None = None) -> LectureQuestion:
    """A written reply (after the lecture, or to a question answered live); pushed to the citizen once. Audited."""
    question = _get(session, question_id)
    answer = (text or "").strip()
    if not answer or len(answer) > MAX_REPLY_CHARS:
        raise InvalidAnswer(len(answer))
    before = {"status": question.status, "reply": question.reply}
    question.status, question.reply, question.answered_at = QuestionStatus.REPLIED, answer, now
    question.answered_by_id, question.updated_at = getattr(staff, "id", None), now
    audit.record(session, now, "question.reply", actor=staff, obj=question, before=before,
                 after={"status": question.status, "reply": answer}, ip=ip)
    _queue_reply(session, question, now, base_url)
    return question


def set_published(session, question_id: int, published: bool, staff, now: dt.datetime, ip: str = "") -> None:
    """Show or keep an answered question off the public page (e.g. it names someone). Audited."""
    question = _get(session, question_id)
    question.published, question.updated_at = published, now
    audit.record(session, now, "question.publish", actor=staff, obj=question, after={"published": published}, ip=ip)


def _queue_reply(session, question: LectureQuestion, now: dt.datetime, base_url: str | None) -> None:
    citizen = session.get(Citizen, question.citizen_id) if question.citizen_id else None
    if citizen is None or not citizen.following or question.erased_at is not None:
        return
    event = question.event
    text = questions_texts.REPLY_PUSH.format(title=event.title, question=question.text, reply=question.reply,
                                             unit=event.unit.name if event.unit else "")
    url = links.page_url(event.id, base_url)
    payload = {"text": wording.fit_bytes(text, tail=questions_texts.REPLY_PUSH_TAIL), "template": "reply",
               "data": {"title": event.title, "status": wording.QUESTION_ANSWERED, "time": wording.when_short(now),
                        "unit": event.unit.name if event.unit else wording.REPLY_UNIT_DEFAULT}, "url": url}
    row = outbox.enqueue(session, citizen.openid, REPLY_PURPOSE, f"question:{question.id}", payload, now)
    if row.status.value == "pending" and row.payload != payload:  # corrected before it went out
        row.payload, row.updated_at = payload, now
