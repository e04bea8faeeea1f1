"""The scheduler also expires unanswered waiting-list offers and erases personal data on time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app import demo
from models import Application, ApplicationStatus, Citizen, Event, OutboxMessage, db
from scheduler import jobs
from services.calendar import clock


def _event_with_offer(now):
    demo.load(db.session, now)
    event = db.session.scalars(select(Event).where(Event.seats > 0).order_by(Event.starts_at)).first()
    event.seats = 1
    people = []
    for i, status in enumerate((ApplicationStatus.CANCELLED, ApplicationStatus.WAITLISTED, ApplicationStatus.WAITLISTED)):
        citizen = Citizen(openid=f"o_house_{i}", created_at=now, following=True)
        db.session.add(citizen)
        db.session.flush()
        application = Application(event_id=event.id, citizen_id=citizen.id, name=f"市民{i}", mobile="13800000000",
                                  category="其他群众", street="清源街道", status=status, waitlist_rank=i or None,
                                  created_at=now)
        db.session.add(application)
        people.append(application)
    db.session.flush()
    people[1].offer_expires_at = now + dt.timedelta(hours=1)  # offered, not answered
    db.session.commit()
    return event, people


def test_an_unanswered_offer_passes_to_the_next_person(app):
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
    with app.app_context():
        event, people = _event_with_offer(clock.to_utc(now))
        first, second = people[1].id, people[2].id
    with app.app_context():
        later = clock.to_utc(now + dt.timedelta(hours=2))
        count, summary = jobs.waitlist_offers(jobs.JobContext(app, db.session, later))
        assert (count, summary) == (1, "候补递补过期 1 条")
        assert db.session.get(Application, first).status == ApplicationStatus.NOT_SELECTED
        assert db.session.get(Application, second).offer_expires_at is not None  # the seat moved on
        purposes = set(db.session.scalars(select(OutboxMessage.purpose)))
        assert {"waitlist_offer_expired", "waitlist_offer"} <= purposes


def test_personal_data_is_erased_after_the_retention_period(app):
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
    with app.app_context():
        event, people = _event_with_offer(clock.to_utc(now))
        later = event.starts_at + dt.timedelta(days=181)
        count, summary = jobs.personal_data_retention(jobs.JobContext(app, db.session, later))
        assert count == 3 and "报名 3 条" in summary
        assert db.session.scalars(select(Application.name)).all() == [None, None, None]
