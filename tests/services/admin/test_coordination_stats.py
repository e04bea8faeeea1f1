"""services.admin.coordination_stats: 报备 counts, routing times in working days and duplicates merged, per unit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app import demo
from models import Event, EventStatus, StaffRole, StaffUser, Unit, db
from services.admin import annual, coordination_stats, stats
from services.calendar import clock
from services.participation import answers, suggestions, triage
from services.programme import event_admin

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)  # a Monday
PARKING = "林校北里老旧小区停车太难，夜里车都停在消防通道上，请统筹规划停车位。"
PARKING_AGAIN = "林校北里老旧小区停车太难了，晚上车都停在消防通道，请规划停车位。"


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


def test_per_unit_counts_reports_routing_days_and_merged_duplicates(session):
    coordinator = StaffUser(username="coord", password_hash="x", role=StaffRole.COORDINATOR, created_at=NOW)
    session.add(coordinator)
    session.flush()
    event = session.scalars(select(Event).where(Event.status == EventStatus.PUBLISHED, Event.place != "")
                            .order_by(Event.starts_at.desc())).first()
    data = event_admin.EventData(
        title=event.title, kind=event.kind.value, mode=event.mode.value, starts_at=clock.as_utc(event.starts_at),
        unit_id=event.unit_id, place=event.place, seats=event.seats, duration_minutes=event.duration_minutes,
        summary=event.summary, agenda=event.agenda, online_participation=event.online_participation,
        topic_id=event.topic_id, apply_opens_at=event.apply_opens_at, apply_closes_at=event.apply_closes_at)
    event_admin.update_event(session, event.id, dataclasses.replace(data, seats=45), coordinator, NOW,
                             change_reason="场地扩容")
    first = suggestions.create(session, "o_a", PARKING, NOW)
    suggestions.create(session, "o_b", PARKING_AGAIN, NOW + dt.timedelta(hours=1))
    linlu = session.scalar(select(Unit.id).where(Unit.name == "林校路街道"))
    triage.route(session, first.id, linlu, coordinator, NOW + dt.timedelta(days=2))  # Wednesday: 2 working days
    answers.reply_suggestion(session, first.id, coordinator, "adopted", "已规划停车位。", "", NOW + dt.timedelta(days=3))
    rows = {r["name"]: r for r in coordination_stats.per_unit(session, stats.Scope(), NOW + dt.timedelta(days=3))}
    assert rows[event.unit.name]["reports"] == 1 and rows[event.unit.name]["late"] == 0
    linlu_row = rows["林校路街道"]
    assert linlu_row["suggestions"] == 2 and linlu_row["merged"] == 1
    assert linlu_row["routing_days"] == 2.0 and linlu_row["handling_days"] == 1.0 and linlu_row["total_days"] == 3.0
    book = load_workbook(io.BytesIO(stats.export_workbook(session, stats.Scope(), coordinator, NOW)))
    sheet = book["报备与分派"]
    assert [c.value for c in sheet[1]] == coordination_stats.HEADERS
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["林校路街道"][1:7] == (0, 0, 0, 0, 0, 2) and values["林校路街道"][10] == 1
    year_book = load_workbook(io.BytesIO(annual.export_workbook(session, 2026, coordinator, NOW)))
    assert "报备与分派" in year_book.sheetnames
