"""`flask scheduler plan` lists the invitations to rate (好差评) that will go out, and when."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Application, ApplicationStatus, EventStatus, OutboxMessage, OutboxStatus, db
from services.calendar import clock
from services.messaging import send_plan
from services.participation import rating_invitations
from tests.scheduler.fixtures import beijing, make_event, make_participant
from tests.scheduler.test_reminders import CFG


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def event(session):
    """Monday 2026-10-12 09:30–11:30; two selected, one cancelled, one who no longer follows the account."""
    event = make_event(session, "2026-10-12 09:30", title="政务开放日·医保服务")
    make_participant(session, event, "o_1")
    make_participant(session, event, "o_2")
    make_participant(session, event, "o_3", status=ApplicationStatus.CANCELLED)
    make_participant(session, event, "o_4", following=False)
    session.commit()
    return event


def invitations(session, when: str, days: int) -> list[tuple[str, int, str]]:
    planned = send_plan.plan(session, beijing(when), days, CFG)
    return [(clock.local(p.at).strftime("%m-%d %H:%M"), p.recipients, p.note) for p in planned
            if p.kind == send_plan.RATING_INVITE]


def test_before_the_event_the_selected_are_counted_at_its_end(session, event):
    assert invitations(session, "2026-10-09 12:00", 3) == [("10-12 11:30", 2, send_plan.BEFORE_END_NOTE)]
    assert invitations(session, "2026-10-09 12:00", 2) == []  # ends after the horizon


def test_after_the_event_the_checked_in_not_yet_invited_and_then_nothing_twice(session, event):
    checked_in = session.scalars(select(Application).where(Application.event_id == event.id)).first()
    checked_in.status = ApplicationStatus.CHECKED_IN  # o_1 came; o_2 did not
    session.commit()
    assert invitations(session, "2026-10-12 14:00", 1) == [("10-12 14:00", 1, send_plan.AFTER_END_NOTE)]
    assert rating_invitations.invite(session, beijing("2026-10-12 14:00")) == 1  # what the plan said
    session.commit()
    queued = [p for p in send_plan.plan(session, beijing("2026-10-12 14:01"), 1, CFG) if p.kind == send_plan.RATING_INVITE]
    assert [(p.recipients, p.note) for p in queued] == [(1, "已排队")]
    session.scalars(select(OutboxMessage)).one().status = OutboxStatus.SENT
    session.commit()
    assert invitations(session, "2026-10-12 14:02", 1) == []


def test_no_invitations_once_the_window_closed_or_for_a_cancelled_event(session, event):
    for application in session.scalars(select(Application).where(Application.status == ApplicationStatus.SELECTED)):
        application.status = ApplicationStatus.CHECKED_IN  # o_1, o_2 (o_4 no longer follows the account)
    cancelled = make_event(session, "2026-10-13 09:30", status=EventStatus.CANCELLED)
    make_participant(session, cancelled, "o_5")
    session.commit()
    assert invitations(session, "2026-10-19 11:29", 1) == [("10-19 11:29", 2, send_plan.AFTER_END_NOTE)]
    assert invitations(session, "2026-10-19 11:30", 1) == []  # seven days after the end


def test_plan_cli_prints_the_invitations(app, session, event, monkeypatch):
    monkeypatch.setenv("CLOCK_NOW", "2026-10-09T12:00+08:00")
    output = app.test_cli_runner().invoke(args=["scheduler", "plan", "--days", "3"]).output
    assert f"2026-10-12 11:30  满意度评价邀请  2 人  政务开放日·医保服务  {send_plan.BEFORE_END_NOTE}" in output
    assert "rating:" not in output
