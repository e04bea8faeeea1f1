"""Invitations to rate (好差评): when an event ends, each checked-in participant gets one.

Called by the scheduler on every tick; an outbox row per person and event
(purpose ``rating_invite``, subject ``rating:<event id>``), so repeating is
harmless. The channel follows the usual rules: a customer-service text inside
the 48-hour window, else the ``notice`` template card or a subscribe notification.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Application, ApplicationStatus, Citizen, Event, OutboxMessage, OutboxStatus
from services.messaging import outbox, wording
from services.participation import rating_texts
from services.participation.ratings import RATED_STATUSES, WINDOW, closes_at

PURPOSE = "rating_invite"


def subject(event_id: int) -> str:
    """The outbox subject of an event's invitations."""
    return f"rating:{event_id}"


def rating_url(event_id: int, base_url: str) -> str:
    """The signed-in rating page of an event ('' without a public address)."""
    return f"{base_url.rstrip('/')}/my/ratings/{event_id}" if base_url else ""


def payload(event: Event, base_url: str) -> dict:
    """Text for the chat window, fields for the template card, the page as its link."""
    url = rating_url(event.id, base_url)
    text = rating_texts.INVITATION.format(title=event.title, days=WINDOW.days,
                                   link=rating_texts.INVITATION_LINK.format(url=url) if url else "")
    body = {"text": wording.fit_bytes(text), "template": "notice", "event_id": event.id,
            "data": {"item": rating_texts.INVITATION_ITEM, "title": event.title,
                     "time": wording.when_short(event.starts_at)}}
    if url:
        body["url"] = url
    return body


def checked_in_openids(session, event_id: int) -> list[str]:
    """Openids of the people checked in at the event who still follow the account."""
    return list(session.scalars(
        select(Citizen.openid).join(Application, Application.citizen_id == Citizen.id)
        .where(Application.event_id == event_id, Application.status == ApplicationStatus.CHECKED_IN,
               Application.erased_at.is_(None), Citizen.following.is_(True), Citizen.erased_at.is_(None))
        .order_by(Application.id)))


def invite(session, now: dt.datetime, base_url: str = "") -> int:
    """Queue the invitations of every event that ended and is still open for rating; new rows."""
    events = session.scalars(select(Event).where(
        Event.status.in_(RATED_STATUSES), Event.starts_at <= now,
        Event.starts_at > now - WINDOW - dt.timedelta(days=2))).all()
    created = 0
    for event in events:
        if not event.ends_at <= now < closes_at(event):
            continue
        have = set(session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.purpose == PURPOSE, OutboxMessage.subject == subject(event.id))))
        body = None
        for openid in checked_in_openids(session, event.id):
            if openid in have:
                continue
            body = body or payload(event, base_url)
            outbox.enqueue(session, openid, PURPOSE, subject(event.id), dict(body), now, due_at=event.ends_at)
            created += 1
    return created


def invitation_counts(session, event_ids: list[int]) -> dict[int, int]:
    """{event id: invitations queued and not cancelled}."""
    if not event_ids:
        return {}
    rows = session.execute(select(OutboxMessage.subject, func.count(OutboxMessage.id)).where(
        OutboxMessage.purpose == PURPOSE, OutboxMessage.status != OutboxStatus.CANCELLED,
        OutboxMessage.subject.in_([subject(i) for i in event_ids])).group_by(OutboxMessage.subject))
    return {int(name.split(":", 1)[1]): count for name, count in rows}


def invited_openids(session, event_id: int) -> set[str]:
    """Who was invited to rate the event."""
    return set(session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.purpose == PURPOSE, OutboxMessage.subject == subject(event_id),
        OutboxMessage.status != OutboxStatus.CANCELLED)))
