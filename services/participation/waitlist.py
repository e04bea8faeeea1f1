"""The waiting list: a freed seat is offered to the first person waiting, who accepts or declines.

An offer is a waitlisted application with ``offer_expires_at`` set. Two citizens
who cancel at the same moment free two seats that go to two distinct people:
offers for an event are made under a lock on the event row (PostgreSQL's
``SELECT ... FOR UPDATE``; SQLite serialises writers), seats are counted in one
statement, and every change of state is a conditional UPDATE whose row count
decides who won (a blocked UPDATE re-checks its WHERE clause after the other
transaction commits, and then matches nothing).

Import these through :mod:`services.participation.applications`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from models import Application, ApplicationStatus, Citizen, Event, EventStatus
from services.messaging import outbox, wording
from services.participation.checkin_codes import assign_checkin_code
from services.programme import links

OFFER_HOURS = 24
# An offer must leave the citizen time to get there; none is made later than this before the start.
LAST_OFFER_BEFORE_START = dt.timedelta(hours=2)
OFFER_PURPOSE = "waitlist_offer"
EXPIRED_PURPOSE = "waitlist_offer_expired"
_W = ApplicationStatus.WAITLISTED


class NoOffer(LookupError):
    """The application has no open offer (never had one, or it expired or was answered)."""

    def __init__(self, application_id: int, expired: bool = False) -> None:
        self.application_id = application_id
        self.expired = expired
        super().__init__(f"no open offer for application {application_id}")


def is_offered(application: Application) -> bool:
    """True while the application holds an offer (answered or not yet expired by the job)."""
    return application.status == _W and application.offer_expires_at is not None


def seats_taken(session, event_id: int) -> int:
    """Seats held: the selected, those checked in and open offers (one statement, one snapshot)."""
    holding = (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN)
    taken = session.scalar(select(func.count(Application.id)).where(
        Application.event_id == event_id,
        Application.status.in_(holding) | ((Application.status == _W) & Application.offer_expires_at.is_not(None))))
    return taken or 0


def offer_free_seats(session, event_id: int, now: dt.datetime, limit: int | None = None,
                     hours: int = OFFER_HOURS, base_url: str | None = None) -> list[Application]:
    """Offer free seats to the first people waiting (at most ``limit``); the offers made.

    The event row is locked first, so seats are counted after any concurrent
    offer for the same event has committed; each offer is then claimed with a
    conditional UPDATE (a person claimed meanwhile is skipped). A notice is
    queued per offer.
    """
    # Offers for one event are made one transaction at a time: PostgreSQL locks the event row
    # (SQLite has no FOR UPDATE; its writers are serialised anyway).
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update()
                           .execution_options(populate_existing=True))
    if event is None or event.status != EventStatus.PUBLISHED:
        return []
    latest = event.starts_at - LAST_OFFER_BEFORE_START
    if now >= latest:
        return []
    free = event.seats - seats_taken(session, event_id)
    wanted = free if limit is None else min(free, limit)
    expires = min(now + dt.timedelta(hours=hours), latest)
    offers: list[Application] = []
    tried: list[int] = []
    while len(offers) < wanted:
        candidate = _first_waiting(session, event_id, tried)
        if candidate is None:
            break
        tried.append(candidate)
        claimed = session.execute(
            update(Application)
            .where(Application.id == candidate, Application.status == _W, Application.offer_expires_at.is_(None))
            .values(offer_expires_at=expires, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed == 1:
            application = session.get(Application, candidate)
            session.refresh(application)
            _queue_offer(session, application, now, base_url)
            offers.append(application)
    return offers


def _first_waiting(session, event_id: int, tried: list[int]) -> int | None:
    """The first waitlisted, not yet offered application of a citizen still following."""
    query = (
        select(Application.id).join(Citizen, Application.citizen_id == Citizen.id)
        .where(Application.event_id == event_id, Application.status == _W,
               Application.offer_expires_at.is_(None), Citizen.following.is_(True))
        .order_by(Application.waitlist_rank.is_(None), Application.waitlist_rank, Application.id)
        .limit(1)
    )
    if tried:
        query = query.where(Application.id.not_in(tried))
    return session.scalar(query)


def _queue_offer(session, application: Application, now: dt.datetime, base_url: str | None) -> None:
    """The offer's message: the event, its place, the time by which to answer; it opens 我的报名,
    where the offer is answered (the card's fields are fitted to the ``offer`` template, docs/delivery.md)."""
    event = application.event
    place = wording.card_place(event.mode.value, event.place)
    answer_by = wording.when_short(application.offer_expires_at)
    url = links.my_applications_url(base_url)
    text = wording.WAITLIST_OFFER.format(title=event.title, when=wording.when(event.starts_at), place=place,
                                         deadline=wording.when(application.offer_expires_at), url=url)
    data = {"title": event.title, "place": place, "time": wording.when_short(event.starts_at),
            "deadline": answer_by, "result": wording.WAITLIST_OFFER_STATUS,
            "note": wording.WAITLIST_OFFER_NOTE.format(deadline=answer_by)}
    payload = {"text": wording.fit_bytes(text), "template": "offer", "data": data, "url": url}
    outbox.enqueue(session, application.citizen.openid, OFFER_PURPOSE, f"application:{application.id}", payload, now)


def _owned_offer(session, openid: str, application_id: int, now: dt.datetime) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.citizen is None or application.citizen.openid != openid:
        raise NoOffer(application_id)
    if not is_offered(application):
        raise NoOffer(application_id)
    if application.offer_expires_at <= now:
        raise NoOffer(application_id, expired=True)
    return application


def accept_offer(session, openid: str, application_id: int, now: dt.datetime) -> Application:
    """The citizen takes the offered seat: selected, with a check-in code."""
    application = _owned_offer(session, openid, application_id, now)
    won = session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == _W, Application.offer_expires_at > now)
        .values(status=ApplicationStatus.SELECTED, selected_at=now, offer_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(application)
    if won != 1:
        raise NoOffer(application_id, expired=True)
    assign_checkin_code(session, application)
    return application


def decline_offer(session, openid: str, application_id: int, now: dt.datetime) -> Application:
    """The citizen turns the offer down: cancelled, and the seat goes to the next person waiting."""
    application = _owned_offer(session, openid, application_id, now)
    won = session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == _W, Application.offer_expires_at.is_not(None))
        .values(status=ApplicationStatus.CANCELLED, cancelled_at=now, offer_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(application)
    if won != 1:
        raise NoOffer(application_id)
    offer_free_seats(session, application.event_id, now, limit=1)
    return application


def expire_offers(session, now: dt.datetime) -> list[Application]:
    """Close offers past their deadline (not selected) and pass each seat on; for the scheduler."""
    due = session.scalars(select(Application).where(
        Application.status == _W, Application.offer_expires_at.is_not(None), Application.offer_expires_at <= now)).all()
    expired = []
    for application in due:
        deadline = application.offer_expires_at
        won = session.execute(
            update(Application)
            .where(Application.id == application.id, Application.status == _W, Application.offer_expires_at <= now)
            .values(status=ApplicationStatus.NOT_SELECTED, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(application)
        if won != 1:
            continue
        expired.append(application)
        if application.citizen is not None:
            text = wording.WAITLIST_OFFER_EXPIRED.format(title=application.event.title, deadline=wording.when(deadline))
            outbox.enqueue(session, application.citizen.openid, EXPIRED_PURPOSE, f"application:{application.id}",
                           {"text": text}, now)
        offer_free_seats(session, application.event_id, now, limit=1)
    return expired


def open_offers(session, openid: str, now: dt.datetime) -> list[Application]:
    """The citizen's offers that can still be accepted, the soonest deadline first."""
    return list(session.scalars(
        select(Application).join(Citizen, Application.citizen_id == Citizen.id)
        .where(Citizen.openid == openid, Application.status == _W, Application.offer_expires_at > now)
        .order_by(Application.offer_expires_at)
    ))


def active_offer(session, openid: str, now: dt.datetime, application_id: int | None = None) -> Application | None:
    """The offer to act on: ``application_id``'s if it is one, else the citizen's only open offer."""
    offers = open_offers(session, openid, now)
    if application_id is not None:
        chosen = [a for a in offers if a.id == application_id]
        if chosen:
            return chosen[0]
    return offers[0] if len(offers) == 1 else None


def waitlist_position(session, application: Application) -> int | None:
    """The current place on the waiting list (1 = next to be offered), or None."""
    if application.status != _W or application.offer_expires_at is not None:
        return None
    mine = application.waitlist_rank
    ahead = select(func.count(Application.id)).where(
        Application.event_id == application.event_id, Application.status == _W,
        Application.offer_expires_at.is_(None), Application.id != application.id)
    if mine is None:
        ahead = ahead.where((Application.waitlist_rank.is_not(None)) | (Application.id < application.id))
    else:
        ahead = ahead.where((Application.waitlist_rank < mine)
                            | ((Application.waitlist_rank == mine) & (Application.id < application.id)))
    return (session.scalar(ahead) or 0) + 1
