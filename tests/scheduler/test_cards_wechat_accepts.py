"""Issue 26.1/26.2: with the 48-hour window closed, every card of a full cycle is one WeChat accepts.

``DELIVERY_CHANNELS=template`` (then ``subscribe``): results, the waiting-list offer, reminders,
replies, the video push, rating invitations, postponement, staff deadline reminders and the
coordinators' digest all go through the real senders, the real worker and the real emulator,
which refuses a field its key's type does not hold (47003), as WeChat does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import (
    Application,
    ApplicationStatus,
    EventKind,
    EventMode,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
    StaffUser,
    db,
)
from scheduler import worker
from services import selection
from services.calendar import clock, workdays
from services.participation import applications, progress, questions, rating_followups, ratings, suggestions
from services.programme import closing, event_admin
from tests.conftest import make_test_app
from tests.emulator.helpers import start_emulator
from tests.scheduler.fixtures import beijing, delivery_settings, make_event, make_participant, make_staff, make_unit

BASE = "https://zm.example.gov.cn"
APPLICANTS = [f"o_card_{n}" for n in range(5)]
STAFF = ("o_unit_staff", "o_coordinator")
LONG_TITLE = "政务开放日·医保服务站与十五分钟便民服务圈现场体验"
LONG_PLACE = "政务和数据局办公区（具体地点以入选通知为准）"


@pytest.fixture
def emulator():
    emu, server = start_emulator()
    yield emu
    server.stop()


def _site(tmp_path, redis_server, database_url, emulator, channels: str):
    return make_test_app(tmp_path, redis_server, DATABASE_URL=database_url,
                         **delivery_settings(emulator.base, DELIVERY_CHANNELS=channels, PUBLIC_BASE_URL=BASE))


def _deliver(app) -> None:
    with app.app_context():
        ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)))
    worker.deliver_now(app, ids, threads=4)


def _tick(app, at: str) -> None:
    result = app.test_cli_runner().invoke(args=["scheduler", "tick", "--at", at])
    assert result.exit_code == 0, result.output


def _cards(emulator, openid: str) -> list[dict]:
    return [m["payload"] for m in emulator.messages(openid) if m["kind"] in ("template", "subscribe")]


def _fields(card: dict) -> dict[str, str]:
    return {field["label"]: field["value"] for field in card["fields"]}


@pytest.mark.parametrize("channel", ["template", "subscribe"])
def test_every_card_of_a_full_cycle_is_accepted(tmp_path, redis_server, redis_client, database_url, emulator,
                                                channel):
    app = _site(tmp_path, redis_server, database_url, emulator, channel)
    for openid in (*APPLICANTS, *STAFF, "o_asker"):
        emulator.follower(openid)
    with app.app_context(), clock.frozen(beijing("2026-09-21 09:00")):
        now = clock.now()
        unit = make_unit(db.session)
        unit_staff = make_staff(db.session, "card-unit", StaffRole.UNIT, STAFF[0], unit)
        make_staff(db.session, "card-coordinator", StaffRole.COORDINATOR, STAFF[1])
        event = make_event(db.session, "2026-09-30 10:00", title=LONG_TITLE, place=LONG_PLACE, seats=2,
                           duration_minutes=120)
        # Never announced, three working days before: the coordinators' digest lists it as overdue.
        lecture = make_event(db.session, "2026-09-30 14:00", mode=EventMode.ONLINE, kind=EventKind.POLICY_LECTURE,
                             title="政策公开讲·中介机构奖励办法宣讲", place=None)
        make_participant(db.session, lecture, "o_asker", status=ApplicationStatus.APPLIED)
        # A livestreamed draft whose announcement is due tomorrow: the unit's staff get a deadline reminder.
        announce_by = workdays.shift_working_days(dt.date(2026, 9, 30), 3)
        make_event(db.session, f"{announce_by.isoformat()} 10:00", mode=EventMode.HYBRID, status=EventStatus.DRAFT,
                   title="政务开放日·接诉即办（开放点11）", unit=unit)
        for openid in APPLICANTS:
            make_participant(db.session, event, openid, status=ApplicationStatus.APPLIED)
        run = selection.run_draw(db.session, event.id, seed=2026, now=now)
        selection.confirm(db.session, run.id, None, now, base_url=BASE, early_reason="场地调整，需提前通知")
        selected = db.session.scalars(select(Application).where(
            Application.event_id == event.id, Application.status == ApplicationStatus.SELECTED)).all()
        leaving = selected[0]
        applications.cancel(db.session, leaving.citizen.openid, leaving.id, now)  # the seat goes to the first waiting
        general = suggestions.create(db.session, APPLICANTS[1], "建议在政务服务大厅增设老年人休息区和助老服务窗口。", now)
        about = suggestions.create(db.session, APPLICANTS[2], "希望开放日增加现场咨询时间。", now, event_id=event.id)
        question = questions.ask(db.session, "o_asker", lecture.id, "中介机构奖励申报需要哪些材料？", now)
        db.session.commit()
        ids = {"event": event.id, "lecture": lecture.id, "general": general.id, "about": about.id,
               "question": question.id, "staff": unit_staff.id, "left": leaving.citizen.openid}
    _deliver(app)
    _tick(app, "2026-09-29T09:05")  # one working day before: reminders, staff deadline notices, the digest
    with app.app_context(), clock.frozen(beijing("2026-09-29 10:00")):
        now, staff = clock.now(), db.session.get(StaffUser, ids["staff"])
        suggestions.reply(db.session, ids["general"], staff, "adopted", "感谢建议，已在大厅东侧设立休息区。", "", now)
        suggestions.reply(db.session, ids["about"], staff, "partly", "下次开放日将延长咨询时间半小时。", "场地所限", now)
        progress.add(db.session, ids["general"], staff, "implementing", "休息区座椅已到位。", None, now)
        questions.reply(db.session, ids["question"], staff, "需提供营业执照和业绩证明材料。", now, base_url=BASE)
        event_admin.postpone_event(db.session, ids["lecture"], beijing("2026-10-21 14:00"), "主讲人临时出差", staff, now)
        db.session.commit()
    _deliver(app)
    with app.app_context(), clock.frozen(beijing("2026-09-30 09:30")):
        for application in db.session.scalars(select(Application).where(
                Application.event_id == ids["event"], Application.status == ApplicationStatus.SELECTED)):
            application.status = ApplicationStatus.CHECKED_IN
        db.session.commit()
    _tick(app, "2026-09-30T12:05")  # the event is over: rating invitations
    with app.app_context(), clock.frozen(beijing("2026-09-30 14:00")):
        now = clock.now()
        rater = db.session.scalars(select(Application).where(
            Application.event_id == ids["event"], Application.status == ApplicationStatus.CHECKED_IN)).first()
        rating, _ = ratings.rate(db.session, rater.citizen.openid, ids["event"], 5, ["场地交通不便"], "没有停车位", now)
        follow_up = rating_followups.open_for(db.session, rating, now)
        staff = db.session.get(StaffUser, ids["staff"])
        rating_followups.answer(db.session, follow_up.id, staff, "已协调临时停车区域。", now)
        closing.record(db.session, ids["event"], staff, "https://zm.example.gov.cn/files/summary.pdf",
                       "https://zm.example.gov.cn/video/1", "活动顺利举行", now, base_url=BASE)
        db.session.commit()
    _deliver(app)

    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        refused = [(r.purpose, r.recipient, r.last_error) for r in rows if r.status != OutboxStatus.SENT]
        assert refused == [], refused
        assert {r.sent_channel for r in rows} == {channel}
        purposes = {r.purpose for r in rows}
    for purpose in ("selection_selected", "selection_waitlisted", "waitlist_offer", "waitlist_offer_expired",
                    "reminder", "suggestion_reply", "adoption_progress", "question_reply", "event_postponed",
                    "rating_invite", "rating_reply", "event_recording", "deadline", "digest"):
        assert any(purpose in p for p in purposes), (purpose, sorted(purposes))

    # 26.2: the offer names the event, its place and the time to answer by, and opens 我的报名.
    offers = [c for openid in APPLICANTS for c in _cards(emulator, openid) if c["title"] == "候补递补通知"]
    assert len(offers) == 2  # the first lapsed unanswered and passed on to the next person waiting
    for card in offers:
        offer = _fields(card)
        assert offer["活动地点"] == "政务和数据局办公区" and offer["当前状态"] == "待确认"
        assert offer["活动名称"].startswith("政务开放日·医保服务站") and len(offer["活动名称"]) <= 20
        assert offer["活动时间"] == "9月30日 10:00" and offer["确认截止"].endswith(":00")
        assert card["url"] == f"{BASE}/my/applications"
    assert _fields(offers[0])["确认截止"] == "9月22日 09:00"  # 24 hours after the seat was freed
    # The 候补 card gives the place on the waiting list.
    waiting = [_fields(c) for openid in APPLICANTS for c in _cards(emulator, openid)
               if c["title"] == "遴选结果通知" and _fields(c)["遴选结果"] == "候补"]
    assert waiting and all("候补第" in card["温馨提示"] for card in waiting), waiting
