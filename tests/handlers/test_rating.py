"""好差评 in the chat, through the real webhook: 评价 → 1–5 → tags by number → a comment or 跳过."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import texts
from models import ApplicationStatus, EventMode, Rating, RatingFollowUp, db
from services.calendar import clock
from tests.scheduler.fixtures import beijing, make_event, make_participant


@pytest.fixture
def held(app):
    """An open day on Wednesday 2026-09-30 10:00–12:00 at which o_citizen_a checked in."""
    with app.app_context():
        event = make_event(db.session, "2026-09-30 10:00", title="政务开放日·医保服务")
        make_participant(db.session, event, "o_citizen_a", status=ApplicationStatus.CHECKED_IN)
        make_participant(db.session, event, "o_absent", status=ApplicationStatus.SELECTED)
        db.session.commit()
        return event.id


def ratings_of(db_ctx):
    with db_ctx() as session:
        return [(r.level, r.tags, r.comment) for r in session.scalars(select(Rating))]


def test_rating_in_the_chat_with_tags_and_a_skipped_comment(citizen, held, db_ctx):
    with clock.frozen(beijing("2026-09-30 15:00")):
        ask = citizen.say("评价")
        assert ask.startswith("请对“政务开放日·医保服务”进行满意度评价") and "5. 非常不满意" in ask
        wrong = citizen.say("6")
        assert wrong.startswith(texts.RATE_LEVEL_INVALID) and "1. 非常满意" in wrong
        tags = citizen.say("2")
        assert tags.startswith("您选择了“满意”") and "2. 内容实用" in tags and "6. 讲解清楚" in tags
        assert citizen.say("9").startswith(texts.RATE_TAGS_INVALID.format(count=6))
        assert citizen.say("2 6") == texts.RATE_ASK_COMMENT.format(limit=300)
        done = citizen.say("跳过")
        assert done.startswith("感谢您的评价！\n活动：政务开放日·医保服务\n评价：满意（内容实用、讲解清楚）")
        assert "10月7日 周三 12:00前回复【评价】可以修改" in done
        assert citizen.retry() == done
    assert ratings_of(db_ctx) == [(2, ["内容实用", "讲解清楚"], "")]


def test_changing_to_a_bad_rating_opens_a_follow_up_and_says_so(citizen, held, db_ctx):
    with clock.frozen(beijing("2026-09-30 15:00")):
        citizen.say("评价")
        citizen.say("1")
        citizen.say("跳过")
        citizen.say("跳过")
    with clock.frozen(beijing("2026-10-02 09:00")):
        again = citizen.say("评价")
        assert again.startswith("您已评价“非常满意”，10月7日 周三 12:00前可以修改")
        citizen.say("5")
        citizen.say("5")
        assert citizen.say("长" * 301).startswith("您输入了 301 字")
        done = citizen.say("现场没有停车位，也没有指引。")
        assert done.startswith("已修改您的评价。\n活动：政务开放日·医保服务\n评价：非常不满意（场地交通不便）")
        assert "转清源街道，工作人员将在 1 个工作日内回访，15 个工作日内整改答复" in done
    assert ratings_of(db_ctx) == [(5, ["场地交通不便"], "现场没有停车位，也没有指引。")]
    with db_ctx() as session:
        assert session.scalars(select(RatingFollowUp)).one().unit.name == "清源街道"


def test_someone_who_did_not_attend_and_a_rating_after_the_window_are_told_why(citizen, make_person, held, db_ctx):
    absent = make_person("o_absent")
    with clock.frozen(beijing("2026-09-30 15:00")):
        assert absent.say("评价") == texts.RATE_NOTHING.format(days=7)
    with clock.frozen(beijing("2026-10-07 12:00")):
        assert citizen.say("评价") == texts.RATE_NOTHING.format(days=7)
    assert ratings_of(db_ctx) == []


def test_the_window_closing_during_the_dialogue_saves_nothing(citizen, held, db_ctx):
    with clock.frozen(beijing("2026-10-07 11:58")):
        citizen.say("评价")
        citizen.say("3")
        citizen.say("1")
    with clock.frozen(beijing("2026-10-07 12:01")):
        assert citizen.say("跳过") == "抱歉，“政务开放日·医保服务”的满意度评价已于活动结束 7 天后截止，本次评价未保存。"
    assert ratings_of(db_ctx) == []


def test_an_online_viewer_rates_a_livestream_and_a_participant_picks_among_two(app, citizen, make_person, held,
                                                                              db_ctx):
    with app.app_context():
        live = make_event(db.session, "2026-09-29 14:00", mode=EventMode.ONLINE, title="政策公开讲·养老服务")
        make_participant(db.session, live, "o_viewer", status=ApplicationStatus.NOT_SELECTED)  # a verified viewer
        make_participant(db.session, live, "o_citizen_a", status=ApplicationStatus.CANCELLED)  # so is a cancelled one
        db.session.commit()
    viewer = make_person("o_viewer")
    with clock.frozen(beijing("2026-09-30 15:00")):
        assert viewer.say("评价").startswith("请对“政策公开讲·养老服务”进行满意度评价")
        viewer.say("3")
        viewer.say("1 3")
        assert "评价：基本满意（活动组织、互动充分）" in viewer.say("希望多安排问答时间")
        pick = citizen.say("评价")
        assert pick.startswith("请选择您要评价的活动") and "1. 9月30日 周三 政务开放日·医保服务" in pick
        assert "2. 9月29日 周二 政策公开讲·养老服务" in pick
        assert citizen.say("3").startswith(texts.NUMBER_OUT_OF_RANGE.format(count=2))
        assert citizen.say("2").startswith("请对“政策公开讲·养老服务”进行满意度评价")
    with db_ctx() as session:
        assert session.scalars(select(Rating.online)).one() is True
