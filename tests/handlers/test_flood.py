"""The flood limit per citizen in the chat: 10 suggestions / questions / rating comments an hour, then a
polite sentence saying when; nothing else slowed, a WeChat retry not counted, Redis away fails open."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import LectureQuestion, Suggestion
from services import intake

pytestmark = pytest.mark.postgres


def ideas(n: int) -> list[str]:
    return [f"第{i}条建议：政务服务大厅的第{i}号窗口可以延长午间服务时间。" for i in range(1, n + 1)]


def suggest(person, text: str) -> str:
    person.say("建议")
    return person.say(text)  # typed straight away: a general suggestion


def stored(db_ctx, model=Suggestion) -> int:
    with db_ctx() as session:
        return session.scalar(select(func.count(model.id)))


def test_the_eleventh_suggestion_in_an_hour_gets_a_polite_refusal_and_nothing_else_is_slowed(
        citizen, make_person, programme, db_ctx):
    texts = ideas(11)
    for text in texts[:9]:
        assert "感谢您的意见建议" in suggest(citizen, text)
    ninth = citizen.replies[-1]
    assert citizen.retry() == ninth, "WeChat's retry gets the same answer"
    assert "感谢您的意见建议" in suggest(citizen, texts[9]), "the retry did not use up the tenth"
    refused = suggest(citizen, texts[10])
    assert "您在一小时内已提交 10 条意见建议" in refused and "请于 11月23日 周一 10:00 后再留言" in refused
    assert "编号" not in refused
    assert stored(db_ctx) == 10
    mine = citizen.say("我的报名")
    assert "一小时内" not in mine and mine == make_person("o_fresh").say("我的报名"), "我的报名 answers as usual"
    assert "1. " in citizen.say("活动"), "browsing still answers"
    assert "感谢您的意见建议" in suggest(make_person("o_neighbour"), texts[10]), "another citizen is not held back"
    assert stored(db_ctx) == 11


def test_questions_have_their_own_allowance(citizen, programme, db_ctx):
    for text in ideas(10):
        suggest(citizen, text)
    for i in range(1, 11):
        citizen.say("提问")
        citizen.say("1")
        assert "已收到您的问题" in citizen.say(f"第{i}个问题：中介机构奖励需要准备哪些材料？")
    citizen.say("提问")
    citizen.say("1")
    refused = citizen.say("第11个问题：线上可以办理吗？")
    assert "您在一小时内已提交 10 个问题，请于 11月23日 周一 10:00 后再提问" in refused
    assert stored(db_ctx, LectureQuestion) == 10
    assert "请选择要提问的政策公开讲" not in citizen.say("帮助"), "the refused dialogue is over"


def test_without_redis_the_limit_fails_open(app, citizen, programme, db_ctx):
    intake.configure("redis://127.0.0.1:1/0", 10)  # nothing listens there: every count fails
    try:
        for text in ideas(12):
            assert "感谢您的意见建议" in suggest(citizen, text)
    finally:
        intake.configure(app.extensions["redis_url"], 10)
    assert stored(db_ctx) == 12


def test_the_allowance_is_a_setting(tmp_path, redis_server, redis_client, database_url, fixed_now):
    from app import demo
    from models import db
    from tests.conftest import WeChat, make_test_app
    from tests.handlers.conftest import Person

    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, CITIZEN_POSTS_PER_HOUR=2)
    with app.app_context():
        demo.load(db.session, fixed_now)
    person = Person(WeChat(app.test_client()), "o_setting")
    texts = ideas(3)
    assert "感谢您的意见建议" in suggest(person, texts[0]) and "感谢您的意见建议" in suggest(person, texts[1])
    assert "您在一小时内已提交 2 条意见建议" in suggest(person, texts[2])
    with app.app_context():
        assert db.session.scalar(select(func.count(Suggestion.id))) == 2
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("value", ["0", "ten", "100000"])
def test_a_wrong_allowance_stops_start_up_naming_the_setting(value):
    from config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings({"CITIZEN_POSTS_PER_HOUR": value})
    assert "CITIZEN_POSTS_PER_HOUR" in str(caught.value)


def test_the_eleventh_rating_comment_in_the_chat_keeps_the_rating_and_offers_to_skip(citizen, app, db_ctx):
    from models import ApplicationStatus, Rating, db
    from services.calendar import clock
    from tests.scheduler.fixtures import beijing, make_event, make_participant

    with app.app_context():
        event = make_event(db.session, "2026-09-30 10:00", title="政务开放日·医保服务")
        make_participant(db.session, event, "o_citizen_a", status=ApplicationStatus.CHECKED_IN)
        db.session.commit()
    with clock.frozen(beijing("2026-09-30 15:00")):
        for i in range(1, 12):
            citizen.say("评价")
            citizen.say("2")
            citizen.say("跳过")  # no tags
            reply = citizen.say(f"第{i}次意见：讲解清楚")
        assert "您在一小时内已填写 10 条评价意见，请于 9月30日 周三 16:00 后再填写" in reply
        with db_ctx() as session:
            assert [r.comment for r in session.scalars(select(Rating))] == ["第10次意见：讲解清楚"]
        assert citizen.say("跳过").startswith("已修改您的评价。"), "跳过 submits the rating without a comment"
    with db_ctx() as session:
        assert [(r.level, r.comment) for r in session.scalars(select(Rating))] == [(2, "")]
