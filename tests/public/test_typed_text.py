"""What citizens type on the signed-in pages: cleaned before it is stored, and rating comments under the
hourly flood limit shared with the chat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo
from models import Application, ApplicationStatus, Rating, db
from services.calendar import clock
from tests.conftest import TEST_APPID, WeChat, make_test_app
from tests.emulator.helpers import start_emulator
from tests.public.test_citizen_pages import NOW, PUBLIC, Phone, event_id
from tests.scheduler.fixtures import beijing, make_event, make_participant

pytestmark = pytest.mark.postgres
# U+0001, U+000B and U+001F (which an .xlsx cannot hold), a right-to-left override and an isolate,
# and "é" typed as e + combining acute (NFD).
DIRTY_REASON = "关心\x01营商\x0b环境\x1f，\u202e希望参加\u2066座谈\u2069，cafe\u0301"
CLEAN_REASON = "关心营商环境，希望参加座谈，café"


@pytest.fixture
def emulator():
    emu, server = start_emulator({"appid": TEST_APPID, "secret": "demo_secret"})
    yield emu
    server.stop()


def _app(tmp_path, redis_server, database_url, emulator):
    return make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, WECHAT_API_BASE=emulator.base,
                         WECHAT_OAUTH_BASE=emulator.base, WECHAT_SECRET="demo_secret", PUBLIC_BASE_URL=PUBLIC)


@pytest.fixture
def site(tmp_path, redis_server, redis_client, database_url, emulator, fixed_now):
    app = _app(tmp_path, redis_server, database_url, emulator)
    with app.app_context():
        demo.load(db.session, NOW)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_application_form_stores_the_reason_and_name_without_invisible_characters(site, emulator):
    phone = Phone(site, emulator, "o_dirty_reason")
    target = event_id(site, "OD-01")
    phone.open(f"/my/apply/{target}")
    done = phone.client.post(f"/my/apply/{target}", data={
        "name": "王\x07小明\u202e", "mobile": "13812345678", "category": "群众代表（家长）", "street": "黄村镇",
        "reason": DIRTY_REASON, "consent": "y"}, follow_redirects=True).get_data(as_text=True)
    assert "报名成功" in done
    with site.app_context():
        application = db.session.scalar(select(Application).where(Application.event_id == target))
        assert (application.name, application.reason) == ("王小明", CLEAN_REASON)


def test_a_name_of_control_characters_alone_is_a_missing_name(site, emulator):
    phone = Phone(site, emulator, "o_blank_name")
    target = event_id(site, "OD-01")
    phone.open(f"/my/apply/{target}")
    page = phone.client.post(f"/my/apply/{target}", data={
        "name": "\x01\x02", "mobile": "13812345678", "category": "群众代表（家长）", "street": "黄村镇",
        "reason": "", "consent": "y"})
    assert page.status_code == 200 and "请填写姓名" in page.get_data(as_text=True)
    with site.app_context():
        assert db.session.scalar(select(Application.id)) is None


@pytest.fixture
def rating_site(tmp_path, redis_server, redis_client, database_url, emulator):
    app = _app(tmp_path, redis_server, database_url, emulator)
    with app.app_context(), clock.frozen(beijing("2026-09-20 09:00")):
        event = make_event(db.session, "2026-09-30 10:00", title="政务开放日·医保服务")
        make_participant(db.session, event, "o_rater", status=ApplicationStatus.CHECKED_IN)
        db.session.commit()
        app.config["EVENT_ID"] = event.id
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_eleventh_rating_comment_in_an_hour_is_refused_politely_and_the_chat_still_answers(
        rating_site, emulator):
    url = f"/my/ratings/{rating_site.config['EVENT_ID']}"
    phone = Phone(rating_site, emulator, "o_rater")
    with clock.frozen(beijing("2026-09-30 15:00")):
        phone.open(url)
        for i in range(1, 11):
            response = phone.client.post(url, data={"level": "2", "comment": f"第{i}次修改：讲解\x0b清楚"})
            assert response.status_code == 302
        refused = phone.client.post(url, data={"level": "1", "comment": "第11次修改：非常好"})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 429
        assert "您在一小时内已填写 10 条评价意见，请于 9月30日 周三 16:00 后再填写" in page
        assert "第11次修改：非常好" in page, "what was typed is kept"
        with rating_site.app_context():
            assert [(r.level, r.comment) for r in db.session.scalars(select(Rating))] == [(2, "第10次修改：讲解清楚")]
        kept = phone.client.post(url, data={"level": "1", "comment": "第10次修改：讲解清楚"})
        assert kept.status_code == 302, "the same comment again is not a new post: the level still changes"
        chat = WeChat(rating_site.test_client()).text("o_rater", "我的报名")
        assert "政务开放日·医保服务" in chat and "一小时内" not in chat
    with rating_site.app_context():
        assert [(r.level, r.comment) for r in db.session.scalars(select(Rating))] == [(1, "第10次修改：讲解清楚")]
