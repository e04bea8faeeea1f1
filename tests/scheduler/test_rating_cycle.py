"""The whole 好差评 cycle against the real emulator, webhook, pages and console:
event ends → invitations reach each participant once → ratings in the chat and on the page →
a 差评 → the unit's answer pushed once → 追评 → the statistics page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ApplicationStatus, Rating, RatingFollowUp, db
from services.admin import staff
from services.calendar import clock
from tests.conftest import TEST_APPID, WeChat, make_test_app
from tests.emulator.helpers import start_emulator
from tests.handlers.conftest import Person
from tests.public.test_citizen_pages import PUBLIC, Phone
from tests.scheduler.fixtures import beijing, follow_all, make_event, make_participant

PEOPLE = ("o_chat", "o_page", "o_bad")


@pytest.fixture
def emulator():
    emu, server = start_emulator({"appid": TEST_APPID, "secret": "demo_secret"})
    yield emu
    server.stop()


@pytest.fixture
def site(tmp_path, redis_server, redis_client, database_url, emulator):
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, WECHAT_API_BASE=emulator.base,
                        WECHAT_OAUTH_BASE=emulator.base, WECHAT_SECRET="demo_secret", PUBLIC_BASE_URL=PUBLIC,
                        WECHAT_HTTP_TIMEOUT=2)
    with app.app_context(), clock.frozen(beijing("2026-09-20 09:00")):
        event = make_event(db.session, "2026-09-30 10:00", title="政务开放日·医保服务")
        for openid in PEOPLE:
            make_participant(db.session, event, openid, status=ApplicationStatus.CHECKED_IN)
        make_participant(db.session, event, "o_absent", status=ApplicationStatus.SELECTED)
        staff.create_user(db.session, "qingyuan", "unit", "qingyuan-pass-1", "清源街道", "清源街道联络员",
                          clock.now())
        db.session.commit()
        app.config["EVENT_ID"] = event.id
    follow_all(emulator, *PEOPLE, "o_absent")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def tick(app, at: str) -> str:
    result = app.test_cli_runner().invoke(args=["scheduler", "tick", "--at", at])
    assert result.exit_code == 0, result.output
    return result.output


def received(emulator, openid: str) -> list[dict]:
    return emulator.messages(openid)


def test_the_whole_rating_cycle(site, emulator):
    event_id = site.config["EVENT_ID"]
    assert "满意度评价邀请新增 0 条" in tick(site, "2026-09-30T11:55")  # not over yet
    assert "满意度评价邀请新增 3 条" in tick(site, "2026-09-30T12:05")
    assert "满意度评价邀请新增 0 条" in tick(site, "2026-09-30T12:30")
    for openid in PEOPLE:
        [invitation] = received(emulator, openid)
        assert "政务开放日·医保服务" in str(invitation["payload"]), invitation
    assert received(emulator, "o_absent") == []

    wechat = WeChat(site.test_client())
    with clock.frozen(beijing("2026-09-30 14:00")):
        chat = Person(wechat, "o_chat")
        chat.say("评价")
        chat.say("2")
        chat.say("1")
        assert chat.say("跳过").startswith("感谢您的评价！")

        page = Phone(site, emulator, "o_page")
        mine = page.open("/my/applications").get_data(as_text=True)
        assert f'href="/my/ratings/{event_id}"' in mine
        form = page.open(f"/my/ratings/{event_id}").get_data(as_text=True)
        assert "满意度评价：政务开放日·医保服务" in form and "讲解清楚" in form
        bad_level = page.client.post(f"/my/ratings/{event_id}", data={"level": "7"})
        assert bad_level.status_code == 400 and "请选择 1–5 中的一项满意度" in bad_level.get_data(as_text=True)
        done = page.client.post(f"/my/ratings/{event_id}", data={"level": "1", "tags": ["内容实用"],
                                                                 "comment": "很有收获"}, follow_redirects=True)
        assert "感谢您的评价！" in done.get_data(as_text=True) and "您已评价“非常满意”（内容实用）" in done.get_data(
            as_text=True)

        bad = Phone(site, emulator, "o_bad")
        bad.open(f"/my/ratings/{event_id}")
        answer = bad.client.post(f"/my/ratings/{event_id}", data={"level": "5", "tags": ["场地交通不便"],
                                                                   "comment": "没有停车位"}, follow_redirects=True)
        assert "将在 1 个工作日内回访" in answer.get_data(as_text=True)
        absent = Phone(site, emulator, "o_absent")
        refused = absent.open(f"/my/ratings/{event_id}")
        assert refused.status_code == 403 and "现场签到参加本场活动" in refused.get_data(as_text=True)
    with site.app_context():
        assert sorted((r.level, r.source) for r in db.session.scalars(select(Rating))) == [
            (1, "page"), (2, "chat"), (5, "page")]
        follow_up_id = db.session.scalars(select(RatingFollowUp.id)).one()

    console = site.test_client()
    with clock.frozen(beijing("2026-10-08 10:00")):
        assert console.post("/console/login", data={"username": "qingyuan", "password": "qingyuan-pass-1"}
                            ).status_code == 302
        listing = console.get("/console/ratings/follow-ups").get_data(as_text=True)
        assert "政务开放日·医保服务" in listing and "非常不满意" in listing and "2026-10-08" in listing
        assert "2026-10-27" in listing and "今日到期" in listing
        published = console.post(f"/console/ratings/follow-ups/{follow_up_id}/answer",
                                 data={"reply": "已协调临时停车区域，下次活动前在入口设置指引。"}, follow_redirects=True)
        assert "整改答复已发布" in published.get_data(as_text=True)
    tick(site, "2026-10-08T10:05")
    tick(site, "2026-10-08T10:30")
    # Outside the 48-hour window the answer is a 答复 template card (the text goes by customer service inside it).
    replies = [m for m in received(emulator, "o_bad") if "已整改答复" in str(m["payload"])]
    assert len(replies) == 1, [m["payload"] for m in received(emulator, "o_bad")]

    with clock.frozen(beijing("2026-10-09 09:00")):
        bad_chat = Person(wechat, "o_bad")
        assert bad_chat.say("评价").startswith("清源街道已就您对“政务开放日·医保服务”的评价（非常不满意）整改答复")
        assert bad_chat.say("2") == "如有具体意见，请直接输入（300 字以内）；回复【跳过】直接提交。"
        assert bad_chat.say("停车方便多了").startswith("感谢您的追评！")
        assert bad_chat.say("评价") .startswith("您目前没有可以评价的活动")
        stats = console.get("/console/stats").get_data(as_text=True)
    rates = stats[stats.index('id="rating-totals"'):]
    assert "66.7%" in rates and "100.0%" in rates
    by_event = stats[stats.index('id="rating-by-event"'):]
    assert "政务开放日·医保服务" in by_event
    with site.app_context():
        rating = db.session.scalar(select(Rating).where(Rating.level == 5))
        assert (rating.again_level, rating.again_comment) == (2, "停车方便多了")
