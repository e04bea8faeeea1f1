"""提问: questions before a policy lecture, through the real webhook."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Event, LectureQuestion, QuestionStatus
from services.calendar import clock

QUESTION = "企业申请中介机构奖励，需要准备哪些材料？线上可以办理吗？"


def _count(db_ctx) -> int:
    with db_ctx() as session:
        return session.scalar(select(func.count(LectureQuestion.id)))


def test_a_question_to_a_chosen_lecture_is_stored_once_even_when_wechat_retries(citizen, programme, db_ctx):
    choice = citizen.say("提问")
    assert "请选择要提问的政策公开讲" in choice and "2. " in choice and "政策公开讲·中介机构奖励办法宣讲" in choice
    asked = citizen.say("2")
    assert "请直接输入您想在“政策公开讲·中介机构奖励办法宣讲”" in asked and "不超过 500 字" in asked
    done = citizen.say(QUESTION)
    assert "已收到您的问题" in done and "政策公开讲·中介机构奖励办法宣讲" in done
    assert citizen.retry() == done
    citizen.say(QUESTION)  # the dialogue is over: the same text again stores nothing
    with db_ctx() as session:
        [question] = session.scalars(select(LectureQuestion)).all()
        assert question.event_id == programme["PL-2"] and question.text == QUESTION
        assert question.status == QuestionStatus.OPEN and question.citizen.openid == "o_citizen_a"


def test_asking_the_same_question_twice_stores_it_once(citizen, programme, db_ctx):
    for _ in range(2):
        citizen.say("提问")
        citizen.say("1")
        assert "已收到您的问题" in citizen.say(QUESTION)
    assert _count(db_ctx) == 1


def test_from_the_lectures_detail_the_question_goes_to_that_lecture(citizen, programme, db_ctx):
    citizen.say("活动")
    detail = citizen.say("16")
    assert "政策公开讲·政企连心桥宣讲" in detail
    asked = citizen.say("提问")
    assert "请直接输入您想在“政策公开讲·政企连心桥宣讲”" in asked
    citizen.say("政企连心桥的诉求多久能得到回复？")
    with db_ctx() as session:
        assert session.scalar(select(LectureQuestion.event_id)) == programme["PL-1"]


def test_an_empty_or_too_long_question_gets_a_clear_sentence_and_nothing_is_stored(citizen, programme, db_ctx):
    citizen.say("提问")
    citizen.say("1")
    blank = citizen.say("   ")
    assert "问题内容不能为空" in blank
    long = citizen.say("问" * 2000)
    assert "问题请控制在 500 字以内（您输入了 2000 字）" in long
    assert _count(db_ctx) == 0
    assert "已收到您的问题" in citizen.say(QUESTION), "still in the dialogue: the shorter question is taken"
    assert _count(db_ctx) == 1


def test_a_lecture_that_has_started_or_is_over_takes_no_questions(citizen, programme, db_ctx):
    starts = clock.now() + dt.timedelta(minutes=10)
    with db_ctx() as session:
        session.get(Event, programme["PL-1"]).starts_at = starts
        session.commit()
    citizen.say("提问")
    citizen.say("1")
    with clock.frozen(starts + dt.timedelta(minutes=5)):
        over = citizen.say(QUESTION)
        assert "“政策公开讲·政企连心桥宣讲”已经开始或已结束，不再征集问题" in over and "/events/" in over
    assert _count(db_ctx) == 0
    with clock.frozen(dt.datetime(2027, 2, 1, 9, 0, tzinfo=clock.SHANGHAI)):
        assert "目前没有正在征集问题的政策公开讲" in citizen.say("提问")


def test_cancel_leaves_the_question_dialogue(citizen, programme, db_ctx):
    citizen.say("提问")
    citizen.say("1")
    citizen.say("取消")
    assert "已收到您的问题" not in citizen.say(QUESTION)
    assert _count(db_ctx) == 0
