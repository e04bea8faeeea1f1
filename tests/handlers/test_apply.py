"""Applying for public selection, as scripted conversations through the real webhook."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from handlers import texts
from models import Application, ApplicationStatus, Citizen, Event
from services.calendar import clock

# The notice as the test app is configured (RETENTION_DAYS defaults to 180).
NOTICE = texts.PRIVACY_NOTICE.format(days=180)

STEPS = [  # (answer, what the next question starts with)
    ("1", "您正在报名：政务开放日·政务服务体验（开放点1）"),
    ("张三", texts.ASK_MOBILE),
    ("13812345678", texts.ASK_CATEGORY),
    ("3", "第 4 步：请选择您所在的街道（镇）"),
    ("黄村", texts.ASK_REASON),
    ("想了解政务服务大厅的帮办服务", NOTICE),
    ("同意", "请核对报名信息"),
]


def start(person) -> str:
    return person.say("报名")


def application_count(db_ctx) -> int:
    with db_ctx() as session:
        return session.scalar(select(func.count(Application.id)))


def test_the_whole_dialogue_with_wrong_input_at_every_step(citizen, programme, db_ctx):
    assert start(citizen).startswith("正在报名的活动（共 17 场）")
    assert texts.ASK_NAME in citizen.say("1")
    for wrong in ("张", "12345", "张三三三三三三三三三三三三三三三三三三三三", "张三!"):
        assert citizen.say(wrong) == texts.BAD_NAME + "\n\n" + texts.ASK_NAME
    assert citizen.say("张三") == texts.ASK_MOBILE
    for wrong in ("12345", "23812345678", "138123456789", "电话"):
        reply = citizen.say(wrong)
        assert reply.startswith(texts.BAD_MOBILE) and "例如：13812345678" in reply and reply.endswith(texts.ASK_MOBILE)
    assert citizen.say("+86 138-1234-5678") == texts.ASK_CATEGORY
    for wrong in ("7", "0", "学生"):
        assert citizen.say(wrong) == texts.BAD_CATEGORY + "\n\n" + texts.ASK_CATEGORY
    street_question = citizen.say("群众代表（家长）")
    assert "1.兴丰街道" in street_question and "9.黄村镇" in street_question and "23.其他" in street_question
    for wrong in ("99", "朝阳区", "0"):
        assert citizen.say(wrong).startswith(texts.BAD_STREET)
    assert citizen.say("黄村地区") == texts.ASK_REASON
    assert citizen.say("很" * 201).startswith(texts.REASON_TOO_LONG.format(limit=200, length=201))
    assert citizen.say("跳过") == NOTICE
    assert "姓名、手机号" in NOTICE and "活动结束 180 天后自动删除" in NOTICE
    assert citizen.say("嗯") == texts.AGREE_OR_NOT + "\n\n" + NOTICE
    summary = citizen.say("同意")
    for expected in ("活动：政务开放日·政务服务体验（开放点1）", "姓名：张三", "手机：138****5678",
                     "身份类别：群众代表（家长）", "街道（镇）：黄村镇", "报名理由：无"):
        assert expected in summary
    assert "13812345678" not in summary
    assert citizen.say("好吧").startswith(texts.CONFIRM_OR_CHANGE)
    done = citizen.say("确认")
    assert done.startswith("报名成功！")
    assert "工作人员将于 12月1日 周二 进行公开遴选" in done
    assert "推送" in done and "最迟会在 12月2日 周三（活动前一个工作日）" in done
    with db_ctx() as session:
        application = session.scalars(select(Application)).one()
        assert (application.name, application.mobile, application.category, application.street) == (
            "张三", "13812345678", "群众代表（家长）", "黄村镇")
        assert application.status == ApplicationStatus.APPLIED
        raw = session.execute(text("SELECT mobile FROM applications")).scalar_one()
        assert "13812345678" not in raw  # encrypted at rest
        citizen_row = session.scalars(select(Citizen)).one()
        assert citizen_row.saved_name == "张三" and citizen_row.saved_street == "黄村镇"


def test_a_retried_message_gets_the_same_reply_at_every_step(citizen, programme, db_ctx):
    start(citizen)
    for answer, expected in [*STEPS, ("确认", "报名成功！")]:
        reply = citizen.say(answer)
        assert reply.startswith(expected)
        assert citizen.retry() == reply
        assert citizen.retry() == reply
    assert application_count(db_ctx) == 1


@pytest.mark.parametrize("steps_done", range(len(STEPS) + 1))
def test_cancel_leaves_at_any_step(citizen, programme, db_ctx, steps_done):
    start(citizen)
    for answer, _ in STEPS[:steps_done]:
        citizen.say(answer)
    expected = texts.CANCELLED if steps_done else texts.NOTHING_TO_CANCEL
    assert citizen.say("取消") == expected
    assert citizen.say("确认").startswith("抱歉，没有理解")
    assert application_count(db_ctx) == 0


def test_silence_of_30_minutes_expires_the_dialogue_and_says_so(citizen, programme, fixed_now, db_ctx):
    start(citizen)
    citizen.say("1")
    citizen.say("张三")
    with clock.frozen(fixed_now + dt.timedelta(minutes=29)):
        assert citizen.say("13812345678") == texts.ASK_CATEGORY  # still alive
    with clock.frozen(fixed_now + dt.timedelta(minutes=29 + 31)):
        reply = citizen.say("3")  # meant as the category: not taken as a pick from the event list
        assert reply == texts.DIALOGUE_EXPIRED + "\n\n" + texts.RESTART_HINTS["apply"]
        assert citizen.say("黄村").startswith("抱歉，没有理解")  # no longer in the dialogue, no second notice
    assert application_count(db_ctx) == 0


def test_returning_citizen_reuses_saved_details(citizen, programme, db_ctx):
    start(citizen)
    for answer, _ in [*STEPS, ("确认", "")]:
        citizen.say(answer)
    citizen.say("活动")
    reply = citizen.say("2")
    assert "回复【报名】" in reply
    offer = citizen.say("报名")  # right after reading event 2: that event
    assert "您正在报名：政务开放日·政务服务体验（开放点2）" in offer
    assert "姓名：张*" in offer and "手机：138****5678" in offer and "街道（镇）：黄村镇" in offer
    assert citizen.say("3") == texts.PICK_ONE_OR_TWO + offer[offer.index("\n\n您之前"):]
    assert citizen.say("1") == texts.ASK_REASON
    citizen.say("跳过")
    summary = citizen.say("同意")
    assert "姓名：张三" in summary and "身份类别：群众代表（家长）" in summary
    assert citizen.say("确认").startswith("报名成功！")
    assert application_count(db_ctx) == 2


def test_returning_citizen_may_type_new_details(citizen, programme):
    start(citizen)
    for answer, _ in [*STEPS, ("确认", "")]:
        citizen.say(answer)
    citizen.say("报名")
    assert "您之前填写过报名信息" in citizen.say("1")  # events applied for are left out: 1 is event 2
    assert citizen.say("2") == texts.ASK_NAME
    assert citizen.say("李四") == texts.ASK_MOBILE


def test_summary_can_be_changed(citizen, programme):
    start(citizen)
    for answer, _ in STEPS:
        citizen.say(answer)
    assert citizen.say("修改") == texts.ASK_NAME
    citizen.say("王五")
    citizen.say("13900001111")
    citizen.say("6")
    citizen.say("23")
    citizen.say("跳过")
    summary = citizen.say("同意")
    assert "姓名：王五" in summary and "139****1111" in summary and "其他群众" in summary and "街道（镇）：其他" in summary


def test_one_application_per_event_tells_the_status(citizen, programme):
    start(citizen)
    for answer, _ in [*STEPS, ("确认", "")]:
        citizen.say(answer)
    citizen.say("活动")
    citizen.say("1")
    reply = citizen.say("报名")
    assert reply.startswith(texts.ALREADY_APPLIED_OTHERS.format(title="政务开放日·政务服务体验（开放点1）",
                                                                status="已报名"))


def test_apply_after_reading_an_event_already_applied_to_offers_the_other_open_events(citizen, programme):
    start(citizen)
    for answer, _ in [*STEPS, ("确认", "")]:
        citizen.say(answer)
    citizen.say("活动")
    citizen.say("1")
    reply = citizen.say("报名")
    assert reply.startswith("您已报名“政务开放日·政务服务体验（开放点1）”，当前状态：已报名。")
    assert "正在报名的活动（共" in reply and texts.HINT_APPLY_EVENTS in reply
    assert "1. " in reply and "政务开放日·政务服务体验（开放点1）\n" not in reply.split("正在报名的活动", 1)[1]
    # The number picks from the list just shown: the second event, not the one already applied to.
    assert citizen.say("1").startswith("您正在报名：政务开放日·政务服务体验（开放点2）")


def test_consent_refused_submits_nothing(citizen, programme, db_ctx):
    start(citizen)
    for answer, _ in STEPS[:-1]:
        citizen.say(answer)
    assert citizen.say("不同意") == texts.CONSENT_REFUSED
    assert application_count(db_ctx) == 0


def test_online_only_event_needs_no_application(citizen, programme):
    citizen.say("活动")
    citizen.say("5")
    assert "线上直播活动，无需报名" in citizen.say("报名")


def test_not_yet_open_and_closed_windows_say_why_and_when(citizen, programme, db_ctx, fixed_now):
    with db_ctx() as session:
        session.get(Event, programme["OD-01"]).apply_opens_at = fixed_now + dt.timedelta(days=2)
        session.get(Event, programme["OD-02"]).apply_closes_at = fixed_now - dt.timedelta(hours=1)
        session.commit()
    citizen.say("活动")
    citizen.say("1")
    assert citizen.say("报名") == texts.CLOSED_NOT_YET.format(title="政务开放日·政务服务体验（开放点1）",
                                                            opens="11月25日 周三 09:00")
    citizen.say("活动")
    citizen.say("2")
    assert citizen.say("报名") == texts.CLOSED_PASSED.format(title="政务开放日·政务服务体验（开放点2）",
                                                           closes="11月23日 周一 08:00")


def test_no_open_event_says_when_the_next_opens(citizen, programme, db_ctx, fixed_now):
    with db_ctx() as session:
        for event in session.scalars(select(Event)):
            event.apply_opens_at = fixed_now + dt.timedelta(days=3)
        session.commit()
    reply = citizen.click("APPLY")
    assert reply.startswith(texts.NO_OPEN_APPLICATIONS)
    assert "将于 11月26日 周四 09:00 开始报名" in reply


def test_window_closing_during_the_dialogue_is_explained_at_confirmation(citizen, programme, fixed_now, db_ctx):
    start(citizen)
    for answer, _ in STEPS:
        citizen.say(answer)
    with db_ctx() as session:
        session.get(Event, programme["OD-01"]).apply_closes_at = fixed_now + dt.timedelta(minutes=5)
        session.commit()
    with clock.frozen(fixed_now + dt.timedelta(minutes=10)):
        assert "的报名已于 11月23日 周一 09:05 截止" in citizen.say("确认")
    assert application_count(db_ctx) == 0


def test_a_menu_click_leaves_the_dialogue_and_does_what_was_clicked(citizen, programme, db_ctx):
    start(citizen)
    citizen.say("1")
    citizen.say("张三")
    reply = citizen.click("EVENTS_LECTURES")
    assert reply.startswith(texts.LEFT_DIALOGUE.format(label="填写报名信息"))
    assert "政策公开讲（共 4 场）" in reply
    assert citizen.say("1").startswith("【政策公开讲·政企连心桥宣讲】")  # numbers pick from the clicked list
    assert application_count(db_ctx) == 0


def test_keywords_and_pictures_during_the_dialogue_repeat_the_question(citizen, programme):
    start(citizen)
    citizen.say("1")
    reply = citizen.say("活动")
    assert reply == texts.KEYWORD_IN_DIALOGUE.format(label="填写报名信息", word="活动") + "\n\n" + texts.ASK_NAME
    reply = citizen.send("image", PicUrl="http://x/y.jpg", MediaId="m1")
    assert reply == texts.TEXT_ONLY_IN_DIALOGUE.format(label="填写报名信息") + "\n\n" + texts.ASK_NAME
    reply = citizen.send("voice", MediaId="v1", Format="amr")
    assert reply.endswith(texts.ASK_NAME)
    assert citizen.say("张三") == texts.ASK_MOBILE


def test_apply_again_after_cancelling(citizen, programme, db_ctx):
    start(citizen)
    for answer, _ in [*STEPS, ("确认", "")]:
        citizen.say(answer)
    citizen.say("我的报名")
    citizen.say("1")
    citizen.say("取消报名")
    assert citizen.say("1").startswith("已取消")
    citizen.say("报名")
    citizen.say("1")
    citizen.say("1")  # reuse
    citizen.say("跳过")
    citizen.say("同意")
    assert citizen.say("确认").startswith("报名成功！")
    with db_ctx() as session:
        assert session.scalars(select(Application.status)).all() == [ApplicationStatus.APPLIED]


def test_the_privacy_notice_states_the_retention_the_app_was_built_with(tmp_path, redis_server, database_url,
                                                                         fixed_now):
    from app import demo
    from models import db
    from tests.conftest import WeChat, make_test_app
    from tests.handlers.conftest import Person

    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, RETENTION_DAYS=30)
    with app.app_context():
        demo.load(db.session, fixed_now)
    person = Person(WeChat(app.test_client()), "o_retention")
    start(person)
    replies = [person.say(answer) for answer, _ in STEPS[:-1]]
    assert "活动结束 30 天后自动删除" in replies[-1]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_failure_at_the_last_step_keeps_the_answers_and_confirm_again_succeeds(citizen, programme,
                                                                                          db_ctx):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    start(citizen)
    for answer, _ in STEPS:
        citizen.say(answer)
    failures = []

    def fail_once(session):
        if not failures:
            failures.append(1)
            raise OperationalError("COMMIT", {}, Exception("database is locked"))

    event.listen(Session, "before_commit", fail_once)
    try:
        reply = citizen.say("确认")
    finally:
        event.remove(Session, "before_commit", fail_once)
    assert failures and reply == texts.APPLY_NOT_SAVED
    assert application_count(db_ctx) == 0
    done = citizen.say("确认")
    assert done.startswith("报名成功！")
    with db_ctx() as session:
        application = session.scalars(select(Application)).one()
        assert (application.name, application.mobile, application.category, application.street,
                application.reason) == ("张三", "13812345678", "群众代表（家长）", "黄村镇", "想了解政务服务大厅的帮办服务")
