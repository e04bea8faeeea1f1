"""services.programme.change_reports through event_admin: 报备 of changes, reasons, the coordinator's answer, counts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from app import demo
from models import (
    Application,
    ApplicationStatus,
    ChangeReportStatus,
    Citizen,
    Event,
    EventChangeReport,
    EventStatus,
    OutboxMessage,
    StaffRole,
    StaffUser,
    db,
)
from services.calendar import clock, workdays
from services.programme import change_reports, event_admin

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


def _staff(session, name: str, role: StaffRole) -> StaffUser:
    user = StaffUser(username=name, password_hash="x", role=role, created_at=NOW)
    session.add(user)
    session.flush()
    return user


def _event_with_applicants(session) -> Event:
    event = session.scalars(select(Event).where(Event.status == EventStatus.PUBLISHED, Event.place != "")
                            .order_by(Event.starts_at.desc())).first()
    for n in range(2):
        citizen = Citizen(openid=f"o_{n}", created_at=NOW)
        session.add(citizen)
        session.flush()
        session.add(Application(event_id=event.id, citizen_id=citizen.id, category="群众代表",
                                status=ApplicationStatus.APPLIED, created_at=NOW))
    session.flush()
    return event


def _data(event: Event, **changes) -> event_admin.EventData:
    base = event_admin.EventData(
        title=event.title, kind=event.kind.value, mode=event.mode.value, starts_at=clock.as_utc(event.starts_at),
        unit_id=event.unit_id, duration_minutes=event.duration_minutes, summary=event.summary, place=event.place,
        agenda=event.agenda, online_participation=event.online_participation, livestream_url=event.livestream_url,
        co_hosts=event.co_hosts, topic_id=event.topic_id, seats=event.seats, apply_opens_at=event.apply_opens_at,
        apply_closes_at=event.apply_closes_at, selection_planned_on=event.selection_planned_on)
    return dataclasses.replace(base, **changes)


def _one_working_day_before(event: Event) -> dt.datetime:
    day = workdays.shift_working_days(clock.local(event.starts_at).date(), -1, strict=False)
    return clock.to_utc(dt.datetime.combine(day, dt.time(10, 0)))


def test_an_edit_is_reported_before_and_after_and_applicants_are_told_once(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    event = _event_with_applicants(session)
    old_place = event.place
    event_admin.update_event(session, event.id, _data(event, place="区政务服务中心三层报告厅", seats=40), unit, NOW,
                             change_reason="原场地设备检修")
    report = session.scalars(select(EventChangeReport)).one()
    assert report.kind == "edit" and report.before == {"place": old_place, "seats": 30}
    assert report.after == {"place": "区政务服务中心三层报告厅", "seats": 40} and report.staff_id == unit.id
    assert report.reason == "原场地设备检修" and report.late is False and report.citizens_told == 2
    told = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "event_changed")).all()
    assert sorted(m.recipient for m in told) == ["o_0", "o_1"]
    text = told[0].payload["text"]
    assert f"地点：{old_place} → 区政务服务中心三层报告厅" in text and "现场名额：30 人 → 40 人" in text
    assert "原因：原场地设备检修" in text


def test_a_late_change_needs_its_reason_and_counts_as_late(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    event = _event_with_applicants(session)
    late_now = _one_working_day_before(event)
    with pytest.raises(event_admin.InvalidEventData) as refused:
        event_admin.update_event(session, event.id, _data(event, place="新地点"), unit, late_now)
    assert "change_reason" in refused.value.errors and event.place != "新地点"
    event_admin.update_event(session, event.id, _data(event, place="新地点"), unit, late_now, change_reason="场地临时征用")
    counts = change_reports.board_counts(session, late_now)
    assert counts.late == 1 and counts.open == 1 and counts.unreported == 0


def test_a_change_without_reason_is_unreported_after_3_working_days(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    event = _event_with_applicants(session)
    event_admin.update_event(session, event.id, _data(event, duration_minutes=75), unit, NOW)
    report = session.scalars(select(EventChangeReport)).one()
    assert report.reason == "" and report.reason_due_on == workdays.shift_working_days(NOW.date(), 3, strict=False)
    assert change_reports.board_counts(session, NOW).unreported == 0
    later = clock.to_utc(dt.datetime.combine(report.reason_due_on + dt.timedelta(days=1), dt.time(10)))
    assert change_reports.board_counts(session, later).unreported == 1


def test_the_coordinator_acknowledges_or_asks_back_and_the_unit_answers(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    coordinator = _staff(session, "coord", StaffRole.COORDINATOR)
    event = _event_with_applicants(session)
    event_admin.update_event(session, event.id, _data(event, seats=20), unit, NOW, change_reason="场地缩小")
    report = session.scalars(select(EventChangeReport)).one()
    with pytest.raises(change_reports.NotCoordinator):
        change_reports.decide(session, report.id, unit, NOW)
    change_reports.decide(session, report.id, coordinator, NOW, question="缩减的名额如何告知已入选人员？")
    assert report.status == ChangeReportStatus.ASKED and change_reports.board_counts(session, NOW).asked == 1
    with pytest.raises(change_reports.ReasonRequired):
        change_reports.add_reason(session, report.id, " ", unit, NOW)
    change_reports.add_reason(session, report.id, "已电话逐一告知。", unit, NOW)
    assert report.status == ChangeReportStatus.OPEN and report.answer == "已电话逐一告知。"
    change_reports.decide(session, report.id, coordinator, NOW)
    assert report.status == ChangeReportStatus.ACKNOWLEDGED


def test_postponement_and_cancellation_are_reported_with_their_own_single_message(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    event = _event_with_applicants(session)
    new_start = clock.as_utc(event.starts_at) + dt.timedelta(days=7)
    event_admin.postpone_event(session, event.id, new_start, "主讲人临时出差", unit, NOW)
    event_admin.cancel_event(session, event.id, "场地不可用", unit, NOW)
    reports = session.scalars(select(EventChangeReport).order_by(EventChangeReport.id)).all()
    assert [r.kind for r in reports] == ["postpone", "cancel"] and all(r.citizens_told == 2 for r in reports)
    assert change_reports.change_lines(reports[1]) == ["状态：已发布 → 已取消"]
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "event_changed")).all() == []


def test_a_draft_is_never_reported(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    event = _event_with_applicants(session)
    event.status = EventStatus.DRAFT
    event_admin.update_event(session, event.id, _data(event, place="别处"), unit, NOW)
    assert session.scalars(select(EventChangeReport)).all() == []
