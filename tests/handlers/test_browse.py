"""Browsing through the real webhook: upcoming events, pages, topics, lectures, details, limits."""

from __future__ import annotations

import re

import pytest

from handlers import texts
from tests.conftest import WeChat, make_test_app
from tests.handlers.conftest import WECHAT_LIMIT, Person


def test_upcoming_events_are_numbered_in_date_order_with_weekday_mode_place_and_window(citizen, programme):
    reply = citizen.say("活动")
    assert reply.startswith("近期活动（共 19 场")
    assert "1. 12月3日 周四 14:00\n政务开放日·政务服务体验（开放点1）\n线下｜观音寺街道政务服务大厅\n" in reply
    assert "报名中（11月30日 周一 17:00 截止）" in reply
    assert "线上直播\n线上直播，无需报名" in reply  # the online-only open point 5
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", reply, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert "回复【更多】查看下一页（第1/3页）" in reply


def test_more_pages_through_the_list_and_numbers_keep_counting(citizen, programme):
    first = citizen.say("活动")
    second = citizen.say("更多")
    third = citizen.say("更多")
    last_on_first = max(int(n) for n in re.findall(r"^(\d+)\. ", first, re.M))
    assert re.search(rf"^{last_on_first + 1}\. ", second, re.M)
    assert "19. 1月25日 周一 14:30" in third and "已是最后一页" in third
    assert citizen.say("更多") == texts.NO_MORE_PAGES
    # A number from an earlier page still picks the right event.
    assert citizen.say("2").startswith("【政务开放日·政务服务体验（开放点2）】")


def test_menu_click_shows_the_same_list(citizen, programme):
    assert citizen.click("EVENTS_UPCOMING").startswith("近期活动（共 19 场")


def test_detail_carries_every_announcement_field(citizen, programme):
    citizen.say("活动")
    detail = citizen.say("3")  # open point 3: hybrid
    for expected in ("【政务开放日·政务服务体验（开放点3）】", "时间：12月9日 周三 14:30–16:30", "时长：约 2 小时",
                     "形式：线上线下结合", "地点：天宫院街道政务服务大厅", "主办单位：天宫院街道", "议程：\n1. 签到入场",
                     "线上参与：通过“大兴区政民互动”公众号观看视频直播", "直播链接：", "现场名额：30 人",
                     "报名截止：12月4日 周五 17:00", "遴选日期：12月7日 周一",
                     f"/events/{programme['OD-03']}", f"/events/{programme['OD-03']}.ics", "回复【报名】"):
        assert expected in detail, expected


def test_detail_shows_the_livestream_link_when_staff_set_it(app, citizen, programme, db_ctx):
    from models import Event

    with db_ctx() as session:
        session.get(Event, programme["OD-05"]).livestream_url = "https://live.example.cn/od5"
        session.commit()
    citizen.say("活动")
    detail = citizen.say("5")
    assert "直播链接：https://live.example.cn/od5" in detail
    assert "无需报名" in detail and "回复【报名】报名本场" not in detail


def test_long_detail_is_paged_not_cut(app, citizen, programme, db_ctx):
    from models import Event

    agenda = "\n".join(f"{i}. 第{i}项议程：政策解读与现场交流，听取企业和群众的意见建议" for i in range(1, 40))
    with db_ctx() as session:
        session.get(Event, programme["OD-01"]).agenda = agenda
        session.commit()
    citizen.say("活动")
    pages = [citizen.say("1")]
    while "回复【更多】继续阅读" in pages[-1]:
        pages.append(citizen.say("更多"))
    assert len(pages) >= 2
    joined = "\n".join(pages)
    for i in range(1, 40):
        assert f"{i}. 第{i}项议程" in joined
    assert "回复【报名】" in pages[-1]
    # The list is still there: a number picks from it.
    assert citizen.say("2").startswith("【政务开放日·政务服务体验（开放点2）】")


def test_topics_then_a_topic_then_an_event(citizen, programme):
    topics = citizen.click("EVENTS_BY_TOPIC")
    assert "1. 优化营商环境（近期 5 场）" in topics and "6. 政策公开讲（近期 4 场）" in topics
    listing = citizen.say("2")
    assert listing.startswith("“便民惠民服务”专题活动（共 2 场）")
    assert "社银合作" in listing and "政务服务体验" not in listing
    assert citizen.say("1").startswith("【政务开放日·社银合作（开放点6）】")


def test_policy_lectures_alone(citizen, programme):
    reply = citizen.click("EVENTS_LECTURES")
    assert reply.startswith("政策公开讲（共 4 场）")
    assert "政务开放日" not in reply
    assert citizen.say("政策公开讲") == reply


def test_numbers_out_of_range_and_without_a_list(citizen, programme):
    assert citizen.say("3") == texts.NO_LIST
    citizen.click("EVENTS_LECTURES")
    assert citizen.say("9") == texts.NUMBER_OUT_OF_RANGE.format(count=4)
    assert citizen.say("0") == texts.NUMBER_OUT_OF_RANGE.format(count=4)
    assert citizen.say("３").startswith("【政策公开讲·土地承包纠纷法律宣讲】")  # full-width digit


def test_no_events(citizen, app):
    assert citizen.say("活动") == texts.NO_UPCOMING
    assert citizen.say("更多") == texts.NOTHING_MORE
    assert citizen.click("EVENTS_LECTURES") == texts.NO_LECTURES


def test_past_and_draft_events_are_not_listed(citizen, programme, db_ctx):
    from models import Event, EventStatus

    with db_ctx() as session:
        session.get(Event, programme["OD-02"]).status = EventStatus.DRAFT
        session.commit()
    assert "开放点2）" not in citizen.say("活动")


def _pages_of(person: Person, first: str) -> list[str]:
    pages = [first]
    while "回复【更多】" in pages[-1]:
        pages.append(person.say("更多"))
    return pages


def test_every_list_and_detail_reply_fits_wechat_limit(citizen, programme):
    """Every list page and every event detail on the demo data stays under 2,048 bytes."""
    replies = _pages_of(citizen, citizen.say("活动"))
    for number in range(1, 20):
        citizen.say("活动")
        replies += _pages_of(citizen, citizen.say(str(number)))
    replies += _pages_of(citizen, citizen.click("EVENTS_BY_TOPIC"))
    for number in range(1, 7):
        citizen.click("EVENTS_BY_TOPIC")
        replies += _pages_of(citizen, citizen.say(str(number)))
    replies += _pages_of(citizen, citizen.say("报名"))
    replies += [citizen.say("建议"), citizen.say("取消"), citizen.say("订阅"), citizen.say("我的信息"), citizen.say("帮助")]
    assert len(replies) >= 36
    assert all(0 < len(r.encode()) < WECHAT_LIMIT for r in replies)


@pytest.fixture
def app_without_redis(tmp_path, fixed_now):
    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock")
    from app import demo
    from models import db

    with app.app_context():
        demo.load(db.session, fixed_now)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_browsing_works_without_redis_but_dialogues_say_busy(app_without_redis):
    person = Person(WeChat(app_without_redis.test_client()), "o_noredis")
    assert person.say("活动").startswith("近期活动（共 19 场")
    assert person.click("EVENTS_LECTURES").startswith("政策公开讲")
    assert person.say("3") == texts.STATE_UNAVAILABLE
    assert person.say("建议") == texts.STATE_UNAVAILABLE
    assert person.say("报名").startswith("正在报名的活动")
    assert person.say("我的报名") == texts.NO_APPLICATIONS


def test_a_number_after_cancel_asks_what_it_means_instead_of_picking_from_an_old_list(citizen, programme):
    citizen.click("EVENTS_LECTURES")
    assert citizen.say("取消") == texts.NOTHING_TO_CANCEL
    assert citizen.say("5") == texts.NUMBER_WITHOUT_LIST.format(number="5")
    assert citizen.say("2") == texts.NUMBER_WITHOUT_LIST.format(number="2")
    # Showing the list again makes its numbers pickable again.
    citizen.click("EVENTS_LECTURES")
    assert citizen.say("3").startswith("【政策公开讲·土地承包纠纷法律宣讲】")


def test_a_number_after_another_reply_replaced_the_list_asks_what_it_means(citizen, programme):
    citizen.say("活动")
    citizen.say("帮助")  # any other reply covers the list on screen
    assert citizen.say("2") == texts.NUMBER_WITHOUT_LIST.format(number="2")


def test_the_list_stays_pickable_after_its_detail_and_an_out_of_range_number(citizen, programme):
    citizen.click("EVENTS_LECTURES")
    assert citizen.say("9") == texts.NUMBER_OUT_OF_RANGE.format(count=4)
    assert citizen.say("3").startswith("【政策公开讲·土地承包纠纷法律宣讲】")
    assert citizen.say("1").startswith("【政策公开讲")
