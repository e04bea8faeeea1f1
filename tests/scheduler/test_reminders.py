"""Time travel around the 2026 schedule: participant reminders, staff deadline notices, the digest, the plan."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from models import Application, EventMode, OutboxMessage, OutboxStatus, StaffRole, db
from services.calendar import clock
from services.messaging import reminders, send_plan
from services.messaging.reminders import ReminderSettings
from tests.scheduler.fixtures import beijing, make_event, make_participant, make_staff, make_unit

CFG = ReminderSettings(public_base_url="https://zm.example.gov.cn")


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


def reminder_rows(session, status=None):
    query = session.query(OutboxMessage).filter_by(purpose="reminder")
    if status is not None:
        query = query.filter_by(status=status)
    return query.order_by(OutboxMessage.id).all()


def at(session, when: str, job=reminders.remind_participants, cfg=CFG):
    moment = beijing(when)
    with clock.frozen(moment):
        result = job(session, moment, cfg)
    session.commit()
    return result


def test_spring_festival_reminder_goes_out_on_the_make_up_saturday(session):
    event = make_event(session, "2026-02-24 10:00")  # first working day after the holiday
    make_participant(session, event, "o_1")
    assert at(session, "2026-02-13 18:00").created == 0  # Friday: too early
    assert at(session, "2026-02-14 08:59").created == 0
    result = at(session, "2026-02-14 09:00")  # Saturday 02-14 is a make-up working day
    assert result.created == 1 and result.subjects == [f"event:{event.id}:2026-02-24T10:00"]
    [row] = reminder_rows(session)
    assert row.due_at == beijing("2026-02-14 09:00")
    code = session.query(Application).filter_by(event_id=event.id).one().checkin_code
    assert row.payload["url"] == f"https://zm.example.gov.cn/pass/{code}"
    assert row.payload["data"]["time"] == "2026年02月24日 10:00"


def test_each_reminder_carries_the_participants_code_and_links_to_their_entry_pass(session):
    event = make_event(session, "2026-01-05 09:30")
    make_participant(session, event, "o_1")
    make_participant(session, event, "o_2")
    assert at(session, "2026-01-04 09:00").created == 2
    codes = {a.citizen.openid: a.checkin_code for a in session.query(Application).filter_by(event_id=event.id)}
    assert all(codes.values()) and len(set(codes.values())) == 2
    for row in reminder_rows(session):
        code = codes[row.recipient]
        url = f"https://zm.example.gov.cn/pass/{code}"
        assert row.payload["url"] == url and row.payload["data"]["code"] == code
        assert f"签到码：{code}" in row.payload["text"] and f'<a href="{url}">' in row.payload["text"]


def test_the_reminder_says_arrive_15_minutes_early_once_and_never_doubles_a_full_stop(app, session):
    """Issue 26 (13): the built-in text and the code line each said 提前15分钟; an operator's 。 met ours."""
    event = make_event(session, "2026-01-05 09:30", place="区政务服务中心三层。")
    make_participant(session, event, "o_1")
    settings = app.extensions["settings"]
    cfg = ReminderSettings.from_settings(settings)
    custom = ReminderSettings(reminder_text="【活动提醒】“{title}”将于{time}在{place}。", public_base_url=CFG.public_base_url)
    for config in (cfg, custom):
        text = reminders.reminder_payload(event, config, "ABC234")["text"]
        assert len(re.findall(r"提前\s*15\s*分钟", text)) == 1, text
        assert "。。" not in text, text


def test_sunday_make_up_day_and_a_configurable_time(session):
    event = make_event(session, "2026-01-05 09:30")  # Monday; Sunday 01-04 is worked
    make_participant(session, event, "o_1")
    afternoon = ReminderSettings(reminder_time=dt.time(14, 30), reminder_text="提醒：{title}，{time}，{place}")
    assert at(session, "2026-01-04 14:29", cfg=afternoon).created == 0
    assert at(session, "2026-01-04 14:30", cfg=afternoon).created == 1
    assert reminder_rows(session)[0].payload["text"].startswith(f"提醒：{event.title}，1月5日 09:30，清源街道政务服务大厅\n签到码：")


def test_a_downtime_is_caught_up_until_the_event_starts(session):
    event = make_event(session, "2026-10-12 09:30")
    make_participant(session, event, "o_1")
    late = make_event(session, "2026-10-12 09:00")
    make_participant(session, late, "o_2")
    # The scheduler was down from Saturday morning until Monday 09:10.
    result = at(session, "2026-10-12 09:10")
    assert result.created == 1 and reminder_rows(session)[0].subject.startswith(f"event:{event.id}:")


def test_an_event_moved_after_its_reminder_was_planned(session):
    event = make_event(session, "2026-10-12 09:30")
    make_participant(session, event, "o_1")
    planned = send_plan.plan(session, beijing("2026-10-09 12:00"), 2, CFG)
    assert [(clock.local(p.at).strftime("%m-%d %H:%M"), p.recipients) for p in planned] == [("10-10 09:00", 1)]
    assert at(session, "2026-10-10 09:00").created == 1  # queued, not yet delivered
    event.starts_at = beijing("2026-10-19 09:30")  # postponed by a week
    session.commit()
    moved = at(session, "2026-10-10 09:01")
    assert (moved.created, moved.cancelled) == (0, 1)
    [cancelled] = reminder_rows(session)
    assert cancelled.status == OutboxStatus.CANCELLED and "改期" in cancelled.last_error
    assert at(session, "2026-10-15 09:05").created == 0
    assert at(session, "2026-10-16 09:05").created == 1  # Friday before Monday 10-19
    assert reminder_rows(session, OutboxStatus.PENDING)[0].subject.endswith("2026-10-19T09:30")


def test_a_sent_reminder_is_not_repeated_but_a_moved_event_is_reminded_again(session):
    event = make_event(session, "2026-10-12 09:30")
    make_participant(session, event, "o_1")
    at(session, "2026-10-10 09:00")
    reminder_rows(session)[0].status = OutboxStatus.SENT
    session.commit()
    assert at(session, "2026-10-10 15:00").created == 0
    event.starts_at = beijing("2026-10-12 14:00")  # moved to the afternoon the same day
    session.commit()
    assert at(session, "2026-10-10 15:01").created == 1


def test_only_following_selected_participants_with_wechat(session):
    from models import ApplicationStatus

    event = make_event(session, "2026-10-12 09:30")
    make_participant(session, event, "o_yes")
    make_participant(session, event, "o_unfollowed", following=False)
    make_participant(session, event, "o_cancelled", status=ApplicationStatus.CANCELLED)
    make_participant(session, event, None, invited=True)
    at(session, "2026-10-10 09:00")
    assert [row.recipient for row in reminder_rows(session)] == ["o_yes"]


def test_a_year_without_a_schedule_still_reminds_on_the_estimated_day(session):
    event = make_event(session, "2027-03-08 09:30")  # Monday; 2027 is not loaded
    make_participant(session, event, "o_1")
    assert at(session, "2027-03-05 08:59").created == 0
    assert at(session, "2027-03-05 09:00").created == 1


def test_staff_are_reminded_of_open_deadlines_and_coordinators_get_a_digest(session):
    unit = make_unit(session)
    make_staff(session, "unit1", StaffRole.UNIT, "o_staff", unit)
    make_staff(session, "unit2", StaffRole.UNIT, "", unit)  # not bound to WeChat
    make_staff(session, "coord", StaffRole.COORDINATOR, "o_coord")
    event = make_event(session, "2026-10-12 09:30", mode=EventMode.ONLINE, unit=unit, title="线上政策解读")
    # Announcement deadline 10-08 (Thursday); its notice the working day before, i.e. 09-30 09:00.
    job = reminders.remind_staff
    assert at(session, "2026-09-30 08:59", job).created == 0
    notice = at(session, "2026-09-30 09:00", job)
    assert notice.created == 1 and notice.subjects == [f"announcement:{event.id}:2026-10-08"]
    row = session.query(OutboxMessage).filter_by(purpose="deadline").one()
    assert row.recipient == "o_staff" and "10月8日（周四）前发布活动预告" in row.payload["text"]
    assert at(session, "2026-10-08 09:00", job).created == 0  # once per deadline
    # Still not announced on Friday 10-09: overdue, in the coordinators' digest.
    assert at(session, "2026-10-09 08:59", reminders.send_digest).created == 0
    digest = at(session, "2026-10-09 09:00", reminders.send_digest)
    assert digest.created == 1
    text = session.query(OutboxMessage).filter_by(purpose="digest").one().payload["text"]
    assert "共有1项逾期" in text and "线上政策解读" in text
    assert at(session, "2026-10-09 17:00", reminders.send_digest).created == 0  # once a day
    assert at(session, "2026-10-11 09:00", reminders.send_digest).created == 0  # Sunday: no digest
    event.announced_at = beijing("2026-10-09 10:00")  # done late: no longer "overdue"
    session.commit()
    assert at(session, "2026-10-12 09:00", reminders.send_digest).created == 0


def test_plan_cli_lists_what_will_be_sent(app, session, monkeypatch):
    event = make_event(session, "2026-10-12 09:30", title="政务开放日·医保服务")
    make_participant(session, event, "o_1")
    make_participant(session, event, "o_2")
    make_staff(session, "coord", StaffRole.COORDINATOR, "o_coord")
    session.commit()
    monkeypatch.setenv("CLOCK_NOW", "2026-10-09T12:00+08:00")
    output = app.test_cli_runner().invoke(args=["scheduler", "plan", "--days", "3"]).output
    assert "2026-10-10 09:00  活动提醒  2 人  政务开放日·医保服务" in output
    assert "2026-10-10 09:00  逾期事项日报（协调员）  1 人  10月10日（周六）" in output  # Saturday 10-10 is worked
    assert "10月11日" not in output
    assert "digest" not in output and "event:" not in output  # issue 26 (12): labels, never internal keys
