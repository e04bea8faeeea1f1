"""services.participation.moderation and answers: masked citizen text is public only once approved; askers are told."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import demo
from models import (
    Event,
    EventKind,
    ModerationItem,
    ModerationStatus,
    OutboxMessage,
    StaffRole,
    StaffUser,
    db,
)
from services.calendar import clock
from services.participation import answers, moderation, progress, questions, suggestions

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
IDEA = "我叫王小明，手机13912345678，建议在兴华路12号院门口增加路灯。"


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


def _pushes(session, purpose: str) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose)).all()


def test_an_adopted_suggestion_is_masked_and_public_only_after_approval(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    made = suggestions.create(session, "o_a", IDEA, NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "王小明您好，已安排增设路灯。", "", NOW)
    item = session.scalars(select(ModerationItem)).one()
    assert item.status == ModerationStatus.PENDING
    assert "13912345678" not in item.text and "王小明" not in item.text and "12号院" not in item.text
    assert "王小明" not in item.answer and set(item.masked) >= {"手机号", "姓名", "详细地址"}
    listed = progress.public_items(session)
    assert moderation.approved_suggestions(session, [i.suggestion_id for i in listed]) == {}
    moderation.approve(session, item.id, unit, NOW + dt.timedelta(hours=1))
    assert moderation.approved_suggestions(session, [made.id])[made.id].text.startswith("我叫王**")
    told = _pushes(session, moderation.PUSH_PURPOSE)
    assert [m.recipient for m in told] == ["o_a"] and made.tracking_no in told[0].payload["text"]
    moderation.approve(session, item.id, unit, NOW + dt.timedelta(hours=2))  # told once
    assert len(_pushes(session, moderation.PUSH_PURPOSE)) == 1


def test_a_corrected_reply_waits_for_approval_again(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    made = suggestions.create(session, "o_a", IDEA, NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "已安排增设路灯。", "", NOW)
    item = session.scalars(select(ModerationItem)).one()
    moderation.approve(session, item.id, unit, NOW)
    answers.reply_suggestion(session, made.id, unit, "partly", "已增设两盏路灯，其余纳入明年计划。", "", NOW)
    assert item.status == ModerationStatus.PENDING and moderation.approved_suggestions(session, [made.id]) == {}


def test_not_adopted_and_drafts_are_never_queued(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    made = suggestions.create(session, "o_a", IDEA, NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "草稿", "", NOW, publish=False)
    answers.reply_suggestion(session, made.id, unit, "not_adopted", "感谢关注。", "道路权属不在本区", NOW)
    assert session.scalars(select(ModerationItem)).all() == []


def test_held_words_need_a_coordinator_and_edits_are_masked_again(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    coordinator = _staff(session, "coord", StaffRole.COORDINATOR)
    made = suggestions.create(session, "o_a", "路灯坏了半年没人修，这些人就是腐败。", NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "已修复。", "", NOW)
    item = session.scalars(select(ModerationItem)).one()
    assert item.status == ModerationStatus.HELD and item.flagged == ["腐败"]
    with pytest.raises(moderation.NeedsCoordinator):
        moderation.approve(session, item.id, unit, NOW)
    with pytest.raises(moderation.EmptyText):
        moderation.approve(session, item.id, coordinator, NOW, text="  ")
    moderation.approve(session, item.id, coordinator, NOW, text="路灯坏了半年没人修。联系我 13800138000")
    assert item.status == ModerationStatus.APPROVED and item.text == "路灯坏了半年没人修。联系我 1**********"


def test_rejected_text_stays_off(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    made = suggestions.create(session, "o_a", IDEA, NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "已安排。", "", NOW)
    item = session.scalars(select(ModerationItem)).one()
    moderation.reject(session, item.id, unit, NOW, note="内容涉及具体住户")
    assert moderation.approved_suggestions(session, [made.id]) == {} and moderation.waiting(session) == []
    assert _pushes(session, moderation.PUSH_PURPOSE) == []


def test_a_question_answered_live_is_told_to_the_asker_and_public_after_approval(session):
    unit = _staff(session, "unit1", StaffRole.UNIT)
    lecture = session.scalars(select(Event).where(Event.kind == EventKind.POLICY_LECTURE)
                              .order_by(Event.starts_at)).first()
    question = questions.ask(session, "o_q", lecture.id, "我是李四，电话13700001111，补贴什么时候发？", NOW)
    after = lecture.starts_at + dt.timedelta(hours=3)
    answers.answer_live(session, question.id, unit, after)
    told = _pushes(session, answers.LIVE_PURPOSE)
    assert [m.recipient for m in told] == ["o_q"] and "现场解答" in told[0].payload["text"]
    answers.answer_live(session, question.id, unit, after)  # twice: told once
    assert len(_pushes(session, answers.LIVE_PURPOSE)) == 1
    assert moderation.public_questions(session, lecture.id) == []
    item = moderation.waiting(session)[0]
    assert "13700001111" not in item.text and "李四" not in item.text
    moderation.approve(session, item.id, unit, after)
    [(shown, approved)] = moderation.public_questions(session, lecture.id)
    assert shown.id == question.id and "李*" in approved.text
    answers.answer_in_writing(session, question.id, unit, "本月底前发放。", after)
    assert moderation.public_questions(session, lecture.id) == []  # the written answer waits for approval


def test_a_citizen_who_erases_their_data_takes_their_public_text_with_them(session):
    from services.privacy import mydata

    unit = _staff(session, "unit1", StaffRole.UNIT)
    made = suggestions.create(session, "o_a", IDEA, NOW)
    answers.reply_suggestion(session, made.id, unit, "adopted", "已安排。", "", NOW)
    moderation.approve(session, session.scalars(select(ModerationItem)).one().id, unit, NOW)
    mydata.erase(session, "o_a", NOW + dt.timedelta(days=1))
    assert session.scalars(select(ModerationItem)).all() == []
