"""The programme's timing rules on the real 2026 schedule, and in a year without one."""

from __future__ import annotations

import datetime as dt

import pytest

from models import EventKind, EventMode, EventStatus, StaffRole
from services.calendar import clock
from services.messaging import outbox
from services.programme import deadlines
from services.programme.deadlines import AMBER, GREEN, RED
from tests.scheduler.fixtures import beijing, make_event, make_participant, make_staff, make_unit

D = dt.date.fromisoformat


@pytest.fixture
def session(db_session):
    return db_session


@pytest.mark.parametrize(
    ("starts", "reminder", "announcement", "selection", "materials"),
    [
        # Monday after National Day: the make-up Saturday 10-10 is the working day before.
        ("2026-10-12 09:30", "2026-10-10", "2026-10-08", "2026-10-10", "2026-10-19"),
        # First working day after National Day: the day before is 09-30; materials count 10-10.
        ("2026-10-08 14:00", "2026-09-30", "2026-09-28", "2026-09-30", "2026-10-14"),
        # Monday 01-05: Sunday 01-04 is a make-up working day.
        ("2026-01-05 09:30", "2026-01-04", "2025-12-30", "2026-01-04", "2026-01-12"),
        # First working day after Spring Festival (02-15..02-23); Saturdays 02-14 and 02-28 are worked.
        ("2026-02-24 10:00", "2026-02-14", "2026-02-12", "2026-02-14", "2026-03-02"),
    ],
)
def test_rule_dates_follow_the_2026_schedule(session, starts, reminder, announcement, selection, materials):
    event = make_event(session, starts, mode=EventMode.HYBRID)
    due = deadlines.reminder_due_at(event, dt.time(9, 0))
    assert due.day == D(reminder) and not due.estimated
    assert clock.local(due.at) == dt.datetime.fromisoformat(f"{reminder} 09:00").replace(tzinfo=clock.SHANGHAI)
    assert deadlines.announcement_deadline(event).day == D(announcement)
    assert deadlines.selection_notice_deadline(event).day == D(selection)
    assert deadlines.materials_deadline(event).day == D(materials)


def test_an_evening_event_in_utc_is_still_counted_from_its_beijing_date(session):
    # 2026-10-12 07:30 in Beijing is 2026-10-11 23:30 UTC: the rule must use 10-12.
    event = make_event(session, "2026-10-12 07:30")
    assert deadlines.event_day(event) == D("2026-10-12")
    assert deadlines.reminder_due_at(event).day == D("2026-10-10")


def test_a_year_without_a_schedule_is_estimated_and_flagged(session):
    event = make_event(session, "2027-10-08 09:30", mode=EventMode.ONLINE)
    due = deadlines.reminder_due_at(event)
    # Estimated: only 10-01..10-03 are known holidays, so Thursday 10-07 counts as a working day.
    assert due.day == D("2027-10-07") and due.estimated and due.missing_years == {2027}
    rules = deadlines.compliance(session, event, beijing("2027-09-01 09:00"))
    assert rules and all(rule.estimated for rule in rules)
    assert "2027 年法定节假日安排未载入" in rules[0].reason


def test_a_walk_across_new_year_is_flagged_only_when_it_reads_the_unloaded_year(session):
    # 2027-01-04 (Monday): the walk back reads 01-03..01-01 of 2027, so the answer is flagged.
    event = make_event(session, "2027-01-04 09:30")
    due = deadlines.reminder_due_at(event)
    assert due.day == D("2026-12-31") and due.missing_years == {2027}
    # Materials of an event late in 2026 need only 2026.
    december = make_event(session, "2026-12-21 09:30")
    assert not deadlines.materials_deadline(december).estimated


def _rule(rules, name):
    return next(rule for rule in rules if rule.rule == name)


def test_announcement_on_time_late_pending_and_overdue(session):
    on_time = make_event(session, "2026-10-12 09:30", mode=EventMode.ONLINE, agenda="议程", online_participation="直播",
                         announced_at=beijing("2026-10-08 17:00"))
    late = make_event(session, "2026-10-12 14:00", mode=EventMode.ONLINE, announced_at=beijing("2026-10-09 08:00"))
    waiting = make_event(session, "2026-10-12 15:00", mode=EventMode.ONLINE, status=EventStatus.DRAFT)
    now = beijing("2026-10-09 10:00")
    assert _rule(deadlines.compliance(session, on_time, now), "announcement").status == GREEN
    judged = _rule(deadlines.compliance(session, late, now), "announcement")
    assert judged.status == RED and judged.done and "晚于期限10月8日" in judged.reason
    overdue = _rule(deadlines.compliance(session, waiting, now), "announcement")
    assert overdue.status == RED and overdue.overdue
    # During the holiday, 10-08 is the next working day: one left, amber.
    soon = _rule(deadlines.compliance(session, waiting, beijing("2026-10-03 10:00")), "announcement")
    assert soon.status == AMBER and "还剩1个工作日" in soon.reason
    early = _rule(deadlines.compliance(session, waiting, beijing("2026-09-14 10:00")), "announcement")
    assert early.status == GREEN and not early.overdue


def test_an_announcement_missing_its_agenda_is_amber(session):
    event = make_event(session, "2026-10-12 09:30", mode=EventMode.HYBRID, agenda="",
                       online_participation="直播评论区留言", announced_at=beijing("2026-09-30 10:00"))
    judged = _rule(deadlines.compliance(session, event, beijing("2026-10-01 10:00")), "announcement")
    assert judged.status == AMBER and "活动议程" in judged.reason


def test_offline_events_have_no_announcement_rule_and_cancelled_events_no_rules(session):
    offline = make_event(session, "2026-10-12 09:30")
    assert {rule.rule for rule in deadlines.compliance(session, offline, beijing("2026-10-01 10:00"))} == {
        "selection_notice", "materials", "reminder"}
    cancelled = make_event(session, "2026-10-12 09:30", status=EventStatus.CANCELLED)
    assert deadlines.compliance(session, cancelled, beijing("2026-10-01 10:00")) == []


def test_materials_of_a_policy_lecture_need_the_video(session):
    lecture = make_event(session, "2026-10-08 14:00", kind=EventKind.POLICY_LECTURE, materials_url="https://x/1",
                         materials_published_at=beijing("2026-10-09 10:00"))
    before = _rule(deadlines.compliance(session, lecture, beijing("2026-10-08 10:00")), "materials")
    assert before.status == GREEN and "活动结束后办理" in before.reason
    soon = _rule(deadlines.compliance(session, lecture, beijing("2026-10-13 10:00")), "materials")
    assert soon.status == AMBER and "活动视频" in soon.reason
    late = _rule(deadlines.compliance(session, lecture, beijing("2026-10-15 10:00")), "materials")
    assert late.status == RED and late.overdue and "活动视频" in late.reason
    lecture.video_url = "https://x/video"
    done = _rule(deadlines.compliance(session, lecture, beijing("2026-10-15 10:00")), "materials")
    assert done.status == GREEN and done.done


def test_reminder_rule_reads_the_outbox(session):
    event = make_event(session, "2026-10-12 09:30")
    for openid in ("o_1", "o_2"):
        make_participant(session, event, openid)
    before = _rule(deadlines.compliance(session, event, beijing("2026-10-09 10:00")), "reminder")
    assert before.status == GREEN and "10月10日（周六）09:00" in before.reason
    missing = _rule(deadlines.compliance(session, event, beijing("2026-10-10 10:00")), "reminder")
    assert missing.status == AMBER and "2名入选人员尚未提醒" in missing.reason
    for openid in ("o_1", "o_2"):
        outbox.enqueue(session, openid, "reminder", deadlines.reminder_subject(event), {"text": "x"},
                       beijing("2026-10-10 09:00"))
    queued = _rule(deadlines.compliance(session, event, beijing("2026-10-10 10:00")), "reminder")
    assert queued.status == GREEN and "2人发送中" in queued.reason


def test_the_board_puts_the_worst_first_and_filters_by_unit(session):
    other = make_unit(session, "采育镇")
    fine = make_event(session, "2026-10-20 09:30", selection_notified_at=beijing("2026-10-15 10:00"))
    broken = make_event(session, "2026-10-12 09:30", mode=EventMode.ONLINE, unit=other)
    now = beijing("2026-10-12 08:00")
    board = deadlines.compliance_board(session, now)
    assert [item.event_id for item in board] == [broken.id, fine.id]
    assert board[0].status == RED and board[0].unit_name == "采育镇"
    assert [item.event_id for item in deadlines.compliance_board(session, now, unit_id=other.id)] == [broken.id]
    overdue = deadlines.overdue_items(session, now)
    assert [(item.event_id, rule.rule) for item, rule in overdue] == [(broken.id, "announcement")]
    make_staff(session, "coord", StaffRole.COORDINATOR, "o_coord")  # no effect on the board
    assert len(deadlines.compliance_board(session, now)) == 2
