"""What the account holds about a citizen, and erasing it on request.

Erasure keeps applications, suggestions, questions and ratings for the
programme's record but erases every personal field in them (name, mobile,
reason, pictures, rating comments, the link to the citizen); applications still
pending are cancelled first, so their seats pass to the waiting list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Row

from models import (
    Application,
    Citizen,
    LectureQuestion,
    ModerationItem,
    ModerationKind,
    Rating,
    Suggestion,
    Topic,
    citizen_topics,
    run,
)
from services.participation import applications, subscriptions


@dataclass
class Holding:
    """Everything held about one citizen, for ``我的信息``."""

    citizen: Row | None  # the columns of Citizen shown, by their names
    topics: list[str] = field(default_factory=list)
    applications: int = 0  # how many (the rows stay unread: counting needs no name or mobile decrypted)
    suggestions: int = 0

    @property
    def has_saved_details(self) -> bool:
        return bool(self.citizen and (self.citizen.saved_name or self.citizen.saved_mobile))


@dataclass
class Erasure:
    """What :func:`erase` did."""

    cancelled: int
    applications: int
    suggestions: int


# Built once (models.run): ``我的信息`` is a menu button. The rows are counted, not read.
_HELD = select(
    Citizen.following, Citizen.followed_at, Citizen.saved_name, Citizen.saved_mobile, Citizen.saved_category,
    Citizen.saved_street,
    select(func.count(Application.id)).where(Application.citizen_id == Citizen.id).scalar_subquery().label("mine"),
    select(func.count(Suggestion.id)).where(Suggestion.citizen_id == Citizen.id).scalar_subquery().label("ideas"),
).where(Citizen.openid == bindparam("openid"))
_TOPIC_NAMES = (select(Topic.name).join(citizen_topics, citizen_topics.c.topic_id == Topic.id)
                .join(Citizen, citizen_topics.c.citizen_id == Citizen.id).where(Citizen.openid == bindparam("openid"))
                .order_by(Topic.sort_order, Topic.id))


def collect(session, openid: str) -> Holding:
    """What we hold about the citizen."""
    citizen = run(session, _HELD, openid=openid).first()
    if citizen is None:
        return Holding(None)
    topics = list(run(session, _TOPIC_NAMES, openid=openid).scalars())
    return Holding(citizen, topics, citizen.mine, citizen.ideas)


def erase(session, openid: str, now: dt.datetime) -> Erasure:
    """Erase the citizen's personal data; keep the records, anonymised."""
    citizen = session.scalar(select(Citizen).where(Citizen.openid == openid))
    if citizen is None:
        return Erasure(0, 0, 0)
    cancelled = 0
    for application in applications.list_mine(session, openid):
        if application.status in applications.ACTIVE and now < application.event.starts_at:
            try:
                applications.cancel(session, openid, application.id, now)
                cancelled += 1
            except applications.CannotCancel:
                pass
    mine = list(session.scalars(select(Application).where(Application.citizen_id == citizen.id)))
    for application in mine:
        application.name = application.mobile = None
        application.reason = ""
        application.citizen = None
        application.erased_at = application.updated_at = now
    ideas = list(session.scalars(select(Suggestion).where(Suggestion.citizen_id == citizen.id)))
    for suggestion in ideas:
        suggestion.citizen = None
        suggestion.attachments = []
        suggestion.erased_at = suggestion.updated_at = now
    asked = list(session.scalars(select(LectureQuestion).where(LectureQuestion.citizen_id == citizen.id)))
    for question in asked:
        question.citizen_id = None
        question.erased_at = now
    # Their text queued or approved for a public page goes too (issue 29).
    for kind, ids in ((ModerationKind.SUGGESTION, [s.id for s in ideas]), (ModerationKind.QUESTION, [q.id for q in asked])):
        if ids:
            session.execute(delete(ModerationItem).where(ModerationItem.kind == kind, ModerationItem.object_id.in_(ids)))
    for rating in session.scalars(select(Rating).where(Rating.citizen_id == citizen.id)):
        rating.comment = rating.again_comment = ""
    citizen.saved_name = citizen.saved_mobile = None
    citizen.saved_category = citizen.saved_street = citizen.nickname = ""
    citizen.topics = []
    citizen.erased_at = citizen.updated_at = now
    subscriptions.cancel_pending_pushes(session, openid, now)
    return Erasure(cancelled, len(mine), len(ideas))
