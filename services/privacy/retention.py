"""Personal-data retention and key rotation (个人信息保护).

Applicants' personal fields are erased a configurable number of days after
their event (default 180); suggestions and questions before a lecture are
detached from the citizen the same way, and rating comments blanked. Rows stay,
for the record and for statistics, without personal data. The message keys the
webhook keeps in the database while Redis is away (with the sender's openid and
the sealed reply) are deleted after a day: they are needed for minutes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Text, delete, select, type_coerce, update

from models import Application, Event, InboundMessage, LectureQuestion, Rating, Suggestion, cipher, db
from models.types import EncryptedText

DEFAULT_RETENTION_DAYS = 180
# A retried copy comes within seconds and a (timestamp, nonce) is valid for minutes: a day is ample.
INBOUND_KEPT = dt.timedelta(days=1)


def erase_expired(session, now: dt.datetime, days: int = DEFAULT_RETENTION_DAYS) -> dict[str, int]:
    """Erase personal fields of applications and suggestions older than ``days`` after their event."""
    cutoff = now - dt.timedelta(days=days)
    ended_events = select(Event.id).where(Event.starts_at < cutoff)
    applications = session.execute(
        update(Application)
        .where(Application.event_id.in_(ended_events), Application.erased_at.is_(None))
        .values(name=None, mobile=None, reason="", erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    suggestions = session.execute(
        update(Suggestion)
        .where(Suggestion.created_at < cutoff, Suggestion.erased_at.is_(None))
        .values(citizen_id=None, erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    questions = session.execute(
        update(LectureQuestion)
        .where(LectureQuestion.event_id.in_(ended_events), LectureQuestion.erased_at.is_(None))
        .values(citizen_id=None, erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    comments = session.execute(
        update(Rating)
        .where(Rating.event_id.in_(ended_events), (Rating.comment != "") | (Rating.again_comment != ""))
        .values(comment="", again_comment="")
        .execution_options(synchronize_session=False)
    ).rowcount
    inbound = session.execute(delete(InboundMessage).where(InboundMessage.received_at < now - INBOUND_KEPT)).rowcount
    session.commit()
    return {"applications": applications or 0, "suggestions": suggestions or 0, "questions": questions or 0,
            "rating_comments": comments or 0, "inbound_messages": inbound or 0}


def _encrypted_columns():
    """(table, column) pairs stored with ``EncryptedText``, in every table (a new one is rotated too)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_keys(session) -> int:
    """Re-encrypt every personal field under the newest key; returns how many values changed."""
    changed = 0
    for table, column in _encrypted_columns():
        raw = type_coerce(column, Text)
        rows = session.execute(select(table.c.id, raw).where(column.is_not(None))).all()
        for row_id, token in rows:
            fresh = cipher.rotate(token)
            if fresh != token:
                session.execute(update(table).where(table.c.id == row_id).values({column.name: type_coerce(fresh, Text)}))
                changed += 1
    session.commit()
    return changed
