"""services.participation.suggestions with a fixed ``now``: tracking numbers, retries, pictures, replies and their push."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import demo
from models import Adoption, AuditLog, Citizen, Event, OutboxMessage, StaffRole, StaffUser, db
from services.calendar import clock
from services.participation import suggestions

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
IDEA = "建议开放日增加周末场次，方便上班族参加。"


@pytest.fixture
def session(app):
    with app.app_context():
        demo.load(db.session, NOW)
        yield db.session


@pytest.fixture
def staff(session):
    user = StaffUser(username="unit1", password_hash="x", role=StaffRole.UNIT, created_at=NOW)
    session.add(user)
    session.flush()
    return user


def test_tracking_numbers_per_beijing_day(session):
    first = suggestions.create(session, "o_a", IDEA, NOW)
    second = suggestions.create(session, "o_b", IDEA, NOW + dt.timedelta(hours=14, minutes=59))  # 23:59 Beijing
    third = suggestions.create(session, "o_a", IDEA, NOW + dt.timedelta(hours=15))  # 00:00 the next day
    assert [s.tracking_no for s in (first, second, third)] == ["JY20261123-0001", "JY20261123-0002", "JY20261124-0001"]


def test_the_same_inbound_message_creates_one_suggestion(session):
    first = suggestions.create(session, "o_a", IDEA, NOW, source_key="m:o_a|123")
    again = suggestions.create(session, "o_a", IDEA, NOW, source_key="m:o_a|123")
    assert again.id == first.id
    assert len(session.scalars(select(suggestions.Suggestion)).all()) == 1


def test_length_limits(session):
    with pytest.raises(suggestions.SuggestionTooShort):
        suggestions.create(session, "o_a", " 太短了 ", NOW)
    with pytest.raises(suggestions.SuggestionTooLong) as caught:
        suggestions.create(session, "o_a", "长" * 1001, NOW)
    assert caught.value.length == 1001
    assert suggestions.create(session, "o_a", "五个字好了", NOW).text == "五个字好了"


def test_an_event_suggestion_goes_to_the_events_unit(session):
    event = session.scalar(select(Event).where(Event.code == "OD-08"))
    suggestion = suggestions.create(session, "o_a", IDEA, NOW, event_id=event.id)
    assert suggestion.unit_id == event.unit_id and suggestion.unit.name == "采育镇"


def test_pictures(session):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    suggestions.attach_image(session, suggestion.id, "m1", NOW, "http://x/1.jpg")
    suggestions.attach_image(session, suggestion.id, "m1", NOW)  # the same picture twice
    assert [a["media_id"] for a in suggestion.attachments] == ["m1"]
    for i in range(2, 10):
        suggestions.attach_image(session, suggestion.id, f"m{i}", NOW)
    with pytest.raises(suggestions.TooManyAttachments):
        suggestions.attach_image(session, suggestion.id, "m10", NOW)
    assert suggestions.recent_open(session, "o_a", NOW + dt.timedelta(minutes=29)).id == suggestion.id
    assert suggestions.recent_open(session, "o_a", NOW + dt.timedelta(minutes=31)) is None


def test_reply_is_recorded_audited_and_pushed_once(session, staff):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    later = NOW + dt.timedelta(days=2)
    suggestions.reply(session, suggestion.id, staff, "partly", "已在部分开放点试行周末场次。", "", later)
    suggestions.reply(session, suggestion.id, staff, Adoption.PARTLY, "已在部分开放点试行周末场次。", "", later)
    assert suggestion.status == "replied" and suggestion.adoption == Adoption.PARTLY
    assert suggestion.replied_by_id == staff.id and suggestion.replied_at == later
    messages = session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1
    message = messages[0]
    assert (message.recipient, message.purpose) == ("o_a", "suggestion_reply")
    assert "JY20261123-0001" in message.payload["text"] and "部分采纳" in message.payload["text"]
    assert message.payload["template"] == "reply" and message.payload["data"]["status"] == "部分采纳"
    assert session.scalars(select(AuditLog.action)).all() == ["suggestion.reply", "suggestion.reply"]
    # A corrected answer is pushed again.
    suggestions.reply(session, suggestion.id, staff, "adopted", "已全面推行周末场次。", "", later)
    assert len(session.scalars(select(OutboxMessage)).all()) == 2


def test_reply_rules(session, staff):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    with pytest.raises(suggestions.InvalidReply, match="reason"):
        suggestions.reply(session, suggestion.id, staff, "not_adopted", "感谢关注。", " ", NOW)
    with pytest.raises(suggestions.InvalidReply, match="adoption"):
        suggestions.reply(session, suggestion.id, staff, "maybe", "感谢关注。", "", NOW)
    with pytest.raises(suggestions.InvalidReply, match="reply_text"):
        suggestions.reply(session, suggestion.id, staff, "adopted", "  ", "", NOW)
    with pytest.raises(suggestions.SuggestionNotFound):
        suggestions.reply(session, 999, staff, "adopted", "好", "", NOW)


def test_a_draft_is_not_pushed(session, staff):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    suggestions.reply(session, suggestion.id, staff, None, "草稿：拟采纳。", "", NOW, publish=False)
    assert suggestion.reply_draft == "草稿：拟采纳。" and suggestion.status == "received"
    assert session.scalars(select(OutboxMessage)).all() == []


def test_no_push_to_a_citizen_who_unfollowed(session, staff):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    session.scalar(select(Citizen).where(Citizen.openid == "o_a")).following = False
    suggestions.reply(session, suggestion.id, staff, "adopted", "采纳。", "", NOW)
    assert session.scalars(select(OutboxMessage)).all() == []


def test_a_long_reply_push_fits_wechat_and_points_to_the_full_text(session, staff):
    suggestion = suggestions.create(session, "o_a", IDEA, NOW)
    suggestions.reply(session, suggestion.id, staff, "adopted", "答" * 1500, "", NOW)
    text = session.scalars(select(OutboxMessage)).one().payload["text"]
    assert len(text.encode()) <= 2000 and text.endswith("（全文请回复【我的建议】查看）")


def test_concurrent_suggestions_get_distinct_numbers(app, session):
    import threading

    session.commit()
    session.remove()
    barrier = threading.Barrier(4)
    numbers, errors = [], []

    def create(i):
        with app.app_context():
            try:
                barrier.wait()
                numbers.append(suggestions.create(db.session, f"o_{i}", IDEA, NOW, source_key=f"k{i}").tracking_no)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with app.app_context():
        stored = sorted(db.session.scalars(select(suggestions.Suggestion.tracking_no)))
    assert stored == [f"JY20261123-000{i}" for i in range(1, 5)]
