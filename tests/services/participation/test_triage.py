"""services.participation.triage with a fixed ``now``: routing on arrival, proposals with reasons, near-duplicates."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from sqlalchemy import select

from app import demo
from models import AuditLog, Event, OutboxMessage, StaffRole, StaffUser, Suggestion, SuggestionTriage, Unit, db
from services.admin import stats
from services.calendar import clock
from services.participation import answers, suggestions, triage

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
PARKING = "林校北里老旧小区停车太难，夜里车都停在消防通道上，请统筹规划停车位。"
PARKING_AGAIN = "林校北里老旧小区停车太难了，晚上车都停在消防通道，请规划停车位。"
GARBAGE = "我们小区的生活垃圾经常两天才清运一次，夏天气味很大，希望增加清运频次。"


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


@pytest.fixture
def coordinator(session):
    user = StaffUser(username="coord", password_hash="x", role=StaffRole.COORDINATOR, created_at=NOW)
    session.add(user)
    session.flush()
    return user


def _unit(session, name: str) -> Unit:
    return session.scalar(select(Unit).where(Unit.name == name))


def test_an_event_suggestion_is_routed_on_arrival_to_the_host(session):
    event = session.scalar(select(Event).where(Event.code == "OD-08"))
    made = suggestions.create(session, "o_a", "建议镇长面对面活动多请物业参加。", NOW, event_id=event.id)
    assert triage.run_pending(session, NOW + dt.timedelta(minutes=1)) == 1
    row = session.get(SuggestionTriage, made.id)
    assert row.routed_at == NOW and row.proposed_unit_id == event.unit_id and "主责单位" in row.reason
    assert triage.run_pending(session, NOW + dt.timedelta(minutes=2)) == 0  # once


def test_a_general_suggestion_waits_with_the_district_office_and_says_so(session):
    made = suggestions.create(session, "o_a", GARBAGE, NOW)
    assert triage.handler_label(made) == "区政务服务和数据管理局（待分派）"
    session.flush()
    by_unit = stats.compute(session, stats.Scope(), NOW)["by_unit"]
    assert [row["name"] for row in by_unit] == ["区政务服务和数据管理局（待分派）"]


def test_a_proposal_names_the_unit_of_a_similar_routed_suggestion_and_why(session, coordinator):
    earlier = suggestions.create(session, "o_a", GARBAGE, NOW - dt.timedelta(days=90))
    suggestions.assign(session, earlier.id, _unit(session, "环卫中心").id, coordinator, NOW - dt.timedelta(days=89))
    made = suggestions.create(session, "o_b", "小区垃圾清运不及时，夏天臭味很大，请增加垃圾清运的次数。", NOW)
    row = triage.triage(session, made.id, NOW)
    assert row.proposed_unit.name == "环卫中心"
    assert earlier.tracking_no in row.reason and "清运" in row.reason


def test_accepting_routes_it_and_tells_the_citizen_where_it_went(session, coordinator):
    made = suggestions.create(session, "o_b", "人防地下室被出租当仓库，堆满易燃物，请检查人防工程。", NOW)
    row = triage.triage(session, made.id, NOW)
    assert row.proposed_unit.name == "国动办"
    triage.route(session, made.id, None, coordinator, NOW + dt.timedelta(hours=1))
    assert made.unit.name == "国动办" and triage.handler_label(made) == "国动办"
    pushed = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == triage.ROUTED_PURPOSE)).one()
    assert pushed.recipient == "o_b" and "转国动办办理" in pushed.payload["text"] and made.tracking_no in pushed.payload["text"]
    assert session.scalars(select(AuditLog).where(AuditLog.action == "suggestion.route")).one().after[
        "accepted_proposal"] is True


def test_changing_the_proposal_routes_to_the_unit_chosen(session, coordinator):
    made = suggestions.create(session, "o_b", "人防地下室被出租当仓库，堆满易燃物，请检查人防工程。", NOW)
    triage.route(session, made.id, _unit(session, "城管执法局").id, coordinator, NOW)
    assert made.unit.name == "城管执法局"
    event_one = suggestions.create(session, "o_c", "建议开放日多请居民。", NOW,
                                   event_id=session.scalar(select(Event.id).where(Event.code == "OD-08")))
    with pytest.raises(triage.NothingToRoute):
        triage.route(session, event_one.id, _unit(session, "城管执法局").id, coordinator, NOW)


def test_near_duplicates_within_60_days_are_linked_and_one_reply_reaches_both(session, coordinator):
    first = suggestions.create(session, "o_a", PARKING, NOW - dt.timedelta(days=30))
    again = suggestions.create(session, "o_b", PARKING_AGAIN, NOW)
    other = suggestions.create(session, "o_c", GARBAGE, NOW)
    triage.run_pending(session, NOW)
    assert session.get(SuggestionTriage, again.id).duplicate_of_id == first.id
    assert session.get(SuggestionTriage, other.id).duplicate_of_id is None
    assert [s.id for s in triage.linked(session, first.id)] == [again.id]
    triage.route(session, first.id, _unit(session, "林校路街道").id, coordinator, NOW)
    assert again.unit.name == "林校路街道"  # the linked one follows
    answers.reply_suggestion(session, first.id, coordinator, "adopted", "已规划新增停车位 120 个。", "", NOW)
    replies = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == suggestions.REPLY_PURPOSE)).all()
    assert sorted(r.recipient for r in replies) == ["o_a", "o_b"]
    assert again.reply == "已规划新增停车位 120 个。" and again.status.value == "replied"


def test_older_than_60_days_is_not_linked_and_a_link_can_be_undone(session, coordinator):
    suggestions.create(session, "o_a", PARKING, NOW - dt.timedelta(days=61))
    late = suggestions.create(session, "o_b", PARKING_AGAIN, NOW)
    assert triage.triage(session, late.id, NOW).duplicate_of_id is None
    recent = suggestions.create(session, "o_c", PARKING, NOW + dt.timedelta(days=1))
    row = triage.triage(session, recent.id, NOW + dt.timedelta(days=1))
    assert row.duplicate_of_id == late.id
    triage.unlink(session, recent.id, coordinator, NOW + dt.timedelta(days=1))
    assert row.duplicate_of_id is None and triage.linked(session, late.id) == []


def test_the_webhook_never_imports_jieba():
    code = "import sys, app.webhook_entry, bot.webhook, handlers.router; print('jieba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_a_suggestion_count_stays_one_row_per_suggestion(session):
    suggestions.create(session, "o_a", GARBAGE, NOW)
    triage.run_pending(session, NOW)
    assert len(session.scalars(select(SuggestionTriage)).all()) == len(session.scalars(select(Suggestion)).all())


def test_only_like_is_linked_with_like_and_a_restated_general_one_follows_the_routed_one(session, coordinator):
    first = suggestions.create(session, "o_a", PARKING, NOW - dt.timedelta(days=3))
    triage.route(session, first.id, _unit(session, "林校路街道").id, coordinator, NOW - dt.timedelta(days=2))
    event_id = session.scalar(select(Event.id).where(Event.code == "OD-08"))
    about_event = suggestions.create(session, "o_b", PARKING_AGAIN, NOW, event_id=event_id)
    general = suggestions.create(session, "o_c", PARKING_AGAIN, NOW + dt.timedelta(minutes=1))
    assert triage.triage(session, about_event.id, NOW).duplicate_of_id is None
    row = triage.triage(session, general.id, NOW)
    assert row.duplicate_of_id == first.id and row.proposed_unit.name == "林校路街道"
    assert first.tracking_no in row.reason and "一并" in row.reason


def test_the_citizen_and_the_staff_name_the_same_office():
    from handlers import texts

    assert triage.DISTRICT_OFFICE == texts.DISTRICT_OFFICE and triage.handler_label is not None
