"""Suggestions through the real webhook: about an event or general, pictures, limits, retries, replies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from handlers import texts
from models import Adoption, Suggestion
from services.calendar import clock
from services.participation import suggestions

IDEA = "建议在政务服务大厅增加老年人专用窗口，并提供大字版办事指南。"


def count(db_ctx) -> int:
    with db_ctx() as session:
        return session.scalar(select(func.count(Suggestion.id)))


def test_a_suggestion_about_an_event_gets_a_tracking_number(citizen, programme, db_ctx):
    about = citizen.click("SUGGEST")
    assert about.startswith("请选择您的意见建议针对的活动") and "0. 一般性意见建议" in about
    assert "1. 12月3日 周四 政务开放日·政务服务体验（开放点1）" in about
    prompt = citizen.say("1")
    assert prompt.startswith("关于“政务开放日·政务服务体验（开放点1）”：请输入您的意见建议（5–1000 字）")
    done = citizen.say(IDEA)
    assert done.startswith("感谢您的意见建议！\n编号：JY20261123-0001")
    assert "转观音寺街道研究办理" in done
    assert citizen.retry() == done
    with db_ctx() as session:
        suggestion = session.scalars(select(Suggestion)).one()
        assert suggestion.event_id == programme["OD-01"] and suggestion.text == IDEA
        assert suggestion.unit_id is not None and suggestion.status == "received"


def test_numbers_count_per_day(citizen, make_person, programme, fixed_now):
    citizen.say("建议")
    citizen.say("0")
    assert "编号：JY20261123-0001" in citizen.say(IDEA)
    other = make_person("o_other")
    other.say("建议")
    assert "编号：JY20261123-0002" in other.say("建议把开放日安排在周末，方便上班族参加。")
    with clock.frozen(fixed_now + dt.timedelta(days=1)):
        citizen.say("建议")
        assert "编号：JY20261124-0001" in citizen.say("建议直播时提供手语翻译，方便听障人士观看。")


def test_typing_the_suggestion_straight_away_makes_it_general(citizen, programme, db_ctx):
    citizen.say("建议")
    done = citizen.say(IDEA)
    assert "一般性意见建议" in done and texts.DISTRICT_OFFICE in done
    with db_ctx() as session:
        assert session.scalars(select(Suggestion.event_id)).one() is None


def test_wrong_input_at_every_step(citizen, programme, db_ctx):
    about = citizen.say("建议")
    assert citizen.say("99").startswith(texts.NUMBER_OUT_OF_RANGE_ZERO.format(count=12))
    assert citizen.say("好的").startswith(texts.SUGGEST_PICK_ABOUT)
    assert citizen.say("我的建议").startswith(texts.KEYWORD_IN_DIALOGUE.format(label="填写意见建议", word="我的建议"))
    assert citizen.send("voice", MediaId="v1", Format="amr").endswith(about)
    citizen.say("0")
    assert citizen.say("太慢").startswith(texts.SUGGEST_TOO_SHORT.format(low=5))
    too_long = citizen.say("很" * 1001)
    assert too_long.startswith(texts.SUGGEST_TOO_LONG.format(high=1000, length=1001))
    assert count(db_ctx) == 0
    assert "编号：JY" in citizen.say("很" * 1000)
    assert count(db_ctx) == 1


def test_cancel_and_expiry(citizen, programme, fixed_now, db_ctx):
    citizen.say("建议")
    citizen.say("0")
    assert citizen.say("取消") == texts.CANCELLED
    citizen.say("建议")
    citizen.say("2")
    with clock.frozen(fixed_now + dt.timedelta(minutes=31)):
        reply = citizen.say(IDEA)
    assert reply.startswith(texts.DIALOGUE_EXPIRED)
    assert count(db_ctx) == 0


def test_pictures_sent_during_the_dialogue_are_attached(citizen, programme, db_ctx):
    citizen.say("建议")
    assert citizen.send("image", PicUrl="http://x/1.jpg", MediaId="m1").startswith(
        texts.PICTURE_KEPT.format(count=1))
    citizen.say("1")
    assert citizen.send("image", PicUrl="http://x/2.jpg", MediaId="m2").startswith(texts.PICTURE_KEPT.format(count=2))
    assert citizen.retry().startswith(texts.PICTURE_KEPT.format(count=2))
    done = citizen.say(IDEA)
    assert "附图 2 张" in done
    with db_ctx() as session:
        assert [a["media_id"] for a in session.scalars(select(Suggestion)).one().attachments] == ["m1", "m2"]


def test_a_picture_soon_after_is_attached_later_ones_get_a_polite_reply(citizen, programme, fixed_now, db_ctx):
    assert citizen.send("image", PicUrl="http://x/0.jpg", MediaId="m0") == texts.NON_TEXT
    citizen.say("建议")
    citizen.say("0")
    citizen.say(IDEA)
    reply = citizen.send("image", PicUrl="http://x/3.jpg", MediaId="m3")
    assert reply == texts.PICTURE_ATTACHED.format(tracking_no="JY20261123-0001", count=1)
    with clock.frozen(fixed_now + dt.timedelta(hours=1)):
        assert citizen.send("image", PicUrl="http://x/4.jpg", MediaId="m4") == texts.NON_TEXT


def test_suggest_right_after_reading_an_event_offers_that_event_first(citizen, programme):
    citizen.say("活动")
    citizen.say("15")
    about = citizen.say("建议")
    assert "您刚刚查看了“政务开放日·人防教育（开放点15）”" in about and "1. 就本场活动留言" in about
    assert citizen.say("1").startswith("关于“政务开放日·人防教育（开放点15）”：请输入您的意见建议")


def test_my_suggestions_show_status_reply_and_adoption(citizen, programme, db_ctx, fixed_now):
    assert citizen.click("MY_SUGGESTIONS") == texts.NO_SUGGESTIONS
    citizen.say("建议")
    citizen.say("1")
    citizen.say(IDEA)
    citizen.say("建议")
    citizen.say("0")
    citizen.say("建议增加周末开放场次，方便上班族。")
    listing = citizen.say("我的建议")
    assert listing.startswith("我的意见建议（共 2 条）")
    assert "JY20261123-0002｜已收到，办理中" in listing
    with db_ctx() as session:
        first = session.scalar(select(Suggestion).where(Suggestion.tracking_no == "JY20261123-0001"))
        suggestions.reply(session, first.id, None, Adoption.NOT_ADOPTED, "感谢您的建议。", "大厅场地有限，已设绿色通道。",
                          fixed_now + dt.timedelta(hours=2))
        session.commit()
    listing = citizen.say("我的建议")
    assert "JY20261123-0001｜已答复（暂不采纳）" in listing
    assert "答复：感谢您的建议。\n说明：大厅场地有限，已设绿色通道。" in listing
    detail = citizen.say("2")
    for expected in ("编号：JY20261123-0001", "关于“政务开放日·政务服务体验（开放点1）”", "状态：已答复（暂不采纳）",
                     IDEA, "采纳情况：暂不采纳", "说明：大厅场地有限，已设绿色通道。", "答复内容：\n感谢您的建议。"):
        assert expected in detail


def test_a_long_suggestion_and_reply_are_paged(citizen, programme, db_ctx, fixed_now):
    citizen.say("建议")
    citizen.say("0")
    citizen.say("长" * 1000)
    with db_ctx() as session:
        suggestion = session.scalars(select(Suggestion)).one()
        suggestions.reply(session, suggestion.id, None, "adopted", "答" * 800, "", fixed_now)
        session.commit()
    citizen.say("我的建议")
    pages = [citizen.say("1")]
    while "回复【更多】继续阅读" in pages[-1]:
        pages.append(citizen.say("更多"))
    assert len(pages) >= 3
    joined = "".join(pages)
    assert joined.count("长") == 1000 and joined.count("答") >= 800


def test_suggestion_right_after_an_event_detail_is_about_that_event(citizen, programme, db_ctx):
    citizen.say("活动")
    detail = citizen.say("2")
    assert "回复【建议】就本场活动留言" in detail
    prompt = citizen.say("建议")
    assert prompt == texts.SUGGEST_ABOUT_FOCUSED.format(title="政务开放日·政务服务体验（开放点2）")
    done = citizen.say(IDEA)
    assert "关于“政务开放日·政务服务体验（开放点2）”" in done and texts.DISTRICT_OFFICE not in done
    with db_ctx() as session:
        assert session.scalars(select(Suggestion.event_id)).one() == programme["OD-02"]


def test_after_an_event_detail_the_citizen_may_still_choose_a_general_suggestion(citizen, programme, db_ctx):
    citizen.say("活动")
    citizen.say("2")
    citizen.say("建议")
    assert citizen.say("9").startswith(texts.SUGGEST_PICK_FOCUSED)
    assert citizen.say("2").startswith("一般性意见建议：请输入您的意见建议")
    done = citizen.say(IDEA)
    assert "一般性意见建议" in done and texts.DISTRICT_OFFICE in done
    with db_ctx() as session:
        assert session.scalars(select(Suggestion.event_id)).one() is None


def test_a_suggestion_written_again_after_a_lost_answer_is_stored_once(citizen, programme, db_ctx, fixed_now):
    """Chaos suite, web process killed after the commit: WeChat showed "无法提供服务", the citizen wrote it again.

    Before: two suggestions with two numbers, both for staff to answer."""
    citizen.say("建议")
    first = citizen.say(IDEA)
    citizen.say("建议")
    assert citizen.say(IDEA) == first, "the same number, the same answer"
    assert count(db_ctx) == 1
    with clock.frozen(fixed_now + dt.timedelta(minutes=11)):
        citizen.say("建议")
        assert "编号：JY20261123-0002" in citizen.say(IDEA), "later, the same words are a new suggestion"
    assert count(db_ctx) == 2
