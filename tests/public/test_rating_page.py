"""The signed-in rating page: change within 7 days, bad input keeps what was typed, the window closes,
and the 追评 form after the unit's answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ApplicationStatus, Rating, RatingFollowUp, db
from services.calendar import clock
from services.participation import rating_followups
from tests.conftest import TEST_APPID, make_test_app
from tests.emulator.helpers import start_emulator
from tests.public.test_citizen_pages import PUBLIC, Phone
from tests.scheduler.fixtures import beijing, make_event, make_participant


@pytest.fixture
def emulator():
    emu, server = start_emulator({"appid": TEST_APPID, "secret": "demo_secret"})
    yield emu
    server.stop()


@pytest.fixture
def site(tmp_path, redis_server, redis_client, database_url, emulator):
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, WECHAT_API_BASE=emulator.base,
                        WECHAT_OAUTH_BASE=emulator.base, WECHAT_SECRET="demo_secret", PUBLIC_BASE_URL=PUBLIC)
    with app.app_context(), clock.frozen(beijing("2026-09-20 09:00")):
        event = make_event(db.session, "2026-09-30 10:00", title="政务开放日·医保服务")
        make_participant(db.session, event, "o_page", status=ApplicationStatus.CHECKED_IN)
        db.session.commit()
        app.config["EVENT_ID"] = event.id
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def stored(site):
    with site.app_context():
        return [(r.level, r.tags, r.comment, r.again_level) for r in db.session.scalars(select(Rating))]


def test_change_within_the_window_bad_input_kept_and_the_window_closing(site, emulator):
    event_id = site.config["EVENT_ID"]
    phone = Phone(site, emulator, "o_page")
    url = f"/my/ratings/{event_id}"
    with clock.frozen(beijing("2026-09-30 11:00")):
        early = phone.open(url)
        assert early.status_code == 403 and "活动尚未结束" in early.get_data(as_text=True)
    with clock.frozen(beijing("2026-09-30 15:00")):
        phone.open(url)  # signed in again: the sign-in lasts 2 hours
        phone.client.post(url, data={"level": "2", "tags": ["互动充分"], "comment": "不错"})
        long = phone.client.post(url, data={"level": "3", "tags": ["时间安排"], "comment": "长" * 301})
        page = long.get_data(as_text=True)
        assert long.status_code == 400 and "评价意见请控制在 300 字以内" in page
        assert 'value="3" checked' in page and 'value="时间安排" checked' in page and "长" * 301 in page
        wrong_tag = phone.client.post(url, data={"level": "1", "tags": ["讲解不清楚"]})
        assert wrong_tag.status_code == 400  # issue 26 (6): the message names the tag and the level
        assert "您选择的满意度是“非常满意”，“讲解不清楚”不是“非常满意”时可选的评价标签" in wrong_tag.get_data(as_text=True)
    assert stored(site) == [(2, ["互动充分"], "不错", None)]
    with clock.frozen(beijing("2026-10-07 11:59")):
        phone.open("/my/applications")
        shown = phone.open(url).get_data(as_text=True)
        assert "您已评价“满意”（互动充分）" in shown and "修改评价" in shown
        phone.client.post(url, data={"level": "3", "comment": ""})
    with clock.frozen(beijing("2026-10-07 12:00")):
        closed = phone.client.post(url, data={"level": "1"})
        assert closed.status_code == 403 and "活动结束 7 天后截止" in closed.get_data(as_text=True)
        readable = phone.client.get(url).get_data(as_text=True)
        assert "您已评价“基本满意”。评价已于" in readable and "<form" not in readable
    assert stored(site) == [(3, [], "", None)]


def test_the_follow_up_rating_on_the_page_once_after_the_answer(site, emulator):
    event_id = site.config["EVENT_ID"]
    phone = Phone(site, emulator, "o_page")
    url = f"/my/ratings/{event_id}"
    with clock.frozen(beijing("2026-09-30 15:00")):
        phone.open(url)
        done = phone.client.post(url, data={"level": "4", "comment": "排队太久"}, follow_redirects=True)
        assert "清源街道，将在 1 个工作日内回访" in done.get_data(as_text=True)
    with site.app_context():
        follow_up = db.session.scalars(select(RatingFollowUp)).one()
        rating_followups.answer(db.session, follow_up.id, None, "已增加签到窗口。", beijing("2026-10-08 10:00"))
        db.session.commit()
    with clock.frozen(beijing("2026-10-09 09:00")):
        form = phone.open(url).get_data(as_text=True)
        assert "追评：政务开放日·医保服务" in form and "提交追评" in form
        bad = phone.client.post(url, data={"level": "0"})
        assert bad.status_code == 400 and "请选择 1–5 中的一项满意度" in bad.get_data(as_text=True)
        thanks = phone.client.post(url, data={"level": "1", "comment": "改进很快"}, follow_redirects=True)
        assert "感谢您的追评！" in thanks.get_data(as_text=True) and "追评：非常满意" in thanks.get_data(as_text=True)
    assert stored(site) == [(4, [], "排队太久", 1)]
