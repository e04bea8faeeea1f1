"""Pages inside WeChat: web authorisation through the emulator, one-page application, my applications."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app import demo
from models import Application, ApplicationStatus, Event, db
from services.calendar import clock
from tests.conftest import TEST_APPID, WeChat, make_test_app
from tests.emulator.helpers import start_emulator

pytestmark = pytest.mark.postgres
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
PUBLIC = "http://zhengmin.test"


@pytest.fixture
def emulator():
    emu, server = start_emulator({"appid": TEST_APPID, "secret": "demo_secret"})
    yield emu
    server.stop()


@pytest.fixture
def site(tmp_path, redis_server, redis_client, database_url, emulator, fixed_now):
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, WECHAT_API_BASE=emulator.base,
                        WECHAT_OAUTH_BASE=emulator.base, WECHAT_SECRET="demo_secret", PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        demo.load(db.session, NOW)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def event_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Event.id).where(Event.code == code))


class Phone:
    """A citizen's WeChat: the in-app browser (the service's test client) and who holds the phone (the emulator)."""

    def __init__(self, app, emulator, openid: str) -> None:
        self.client = app.test_client()
        self.emulator = emulator
        self.openid = openid
        self.wechat_side = requests.Session()
        self.wechat_side.get(emulator.base + "/_phone/open", params={"openid": openid, "url": PUBLIC + "/"},
                             allow_redirects=False, timeout=5)

    def authorise(self, response) -> str:
        """Follow the redirect to WeChat's authorise page; the service URL WeChat sends the browser back to."""
        assert response.status_code == 302 and response.location.startswith(self.emulator.base), response.location
        assert self.openid not in response.location
        back = self.wechat_side.get(response.location, allow_redirects=False, timeout=5)
        assert back.status_code == 302 and back.headers["Location"].startswith(PUBLIC + "/wx/oauth?")
        return back.headers["Location"].removeprefix(PUBLIC)

    def open(self, path: str):
        """Open ``path`` as WeChat's in-app browser would, through the authorisation if needed."""
        response = self.client.get(path)
        while response.status_code == 302 and response.location.startswith(self.emulator.base):
            response = self.client.get(self.authorise(response))
            if response.status_code == 302 and not response.location.startswith(self.emulator.base):
                assert self.openid not in response.location
                response = self.client.get(urlsplit(response.location).path + (
                    "?" + urlsplit(response.location).query if urlsplit(response.location).query else ""))
        return response


def test_a_citizen_is_authorised_silently_applies_on_one_page_and_sees_it_in_the_chat(site, emulator):
    phone = Phone(site, emulator, "o_page_citizen")
    listing = phone.open("/my/apply").get_data(as_text=True)
    assert "正在报名的活动" in listing and "政务开放日·政务服务体验（开放点1）" in listing
    target = event_id(site, "OD-01")
    assert f'href="/my/apply/{target}"' in phone.client.get(f"/events/{target}").get_data(as_text=True), \
        "the event page's 在线报名 opens the form"
    form = phone.open(f"/my/apply/{target}").get_data(as_text=True)
    assert "个人信息告知" in form and "活动结束 180 天后自动删除" in form
    done = phone.client.post(f"/my/apply/{target}", data={
        "name": "王小明", "mobile": "13812345678", "category": "群众代表（家长）", "street": "黄村镇",
        "reason": "", "consent": "y"}, follow_redirects=True).get_data(as_text=True)
    assert "报名成功" in done and "王**" in done and "138****5678" in done
    with site.app_context():
        application = db.session.scalar(select(Application).where(Application.event_id == target))
        assert (application.name, application.status) == ("王小明", ApplicationStatus.APPLIED)
    chat = WeChat(site.test_client()).text("o_page_citizen", "我的报名")
    assert "政务开放日·政务服务体验（开放点1）" in chat and "已报名" in chat
    authorisations = emulator.admin("GET", "/oauth")["authorisations"]
    assert [a["openid"] for a in authorisations] == ["o_page_citizen"]
    assert all(a["scope"] == "snsapi_base" for a in authorisations)


def test_a_form_that_fails_keeps_what_was_typed_with_the_error_beside_the_field(site, emulator):
    phone = Phone(site, emulator, "o_typo")
    target = event_id(site, "OD-01")
    phone.open(f"/my/apply/{target}")
    page = phone.client.post(f"/my/apply/{target}", data={
        "name": "李四", "mobile": "1381234", "category": "媒体记者", "street": "黄村镇", "reason": "关心营商环境",
        "consent": "y"}).get_data(as_text=True)
    assert "请填写 11 位手机号码" in page
    assert 'value="李四"' in page and 'value="1381234"' in page and "关心营商环境" in page
    unconsented = phone.client.post(f"/my/apply/{target}", data={
        "name": "李四", "mobile": "13812345678", "category": "媒体记者", "street": "黄村镇"}).get_data(as_text=True)
    assert "请阅读并同意个人信息告知" in unconsented
    with site.app_context():
        assert db.session.scalar(select(Application.id)) is None


def test_a_forged_or_missing_state_is_refused(site, emulator):
    client = site.test_client()
    page = client.get("/wx/oauth?code=anything&state=forged")
    assert page.status_code == 400 and "请回到公众号，从菜单重新打开" in page.get_data(as_text=True)
    phone = Phone(site, emulator, "o_state")
    back = phone.authorise(phone.client.get("/my/applications"))
    forged = back.replace("state=", "state=x", 1)
    assert phone.client.get(forged).status_code == 400
    assert phone.client.get("/my/applications").status_code == 302, "nobody was signed in"


def test_a_used_code_restarts_the_authorisation_once_then_explains(site, emulator):
    phone = Phone(site, emulator, "o_replay")
    back = phone.authorise(phone.client.get("/my/applications"))
    code = dict(part.split("=", 1) for part in back.split("?", 1)[1].split("&"))["code"]
    used = requests.get(emulator.base + "/sns/oauth2/access_token", timeout=5, params={
        "appid": TEST_APPID, "secret": "demo_secret", "code": code, "grant_type": "authorization_code"}).json()
    assert used["openid"] == "o_replay"  # somebody else used the code first
    restarted = phone.client.get(back)
    assert restarted.status_code == 302 and restarted.location.startswith(emulator.base), "authorise again, once"
    again = phone.authorise(restarted)
    code = dict(part.split("=", 1) for part in again.split("?", 1)[1].split("&"))["code"]
    requests.get(emulator.base + "/sns/oauth2/access_token", timeout=5, params={
        "appid": TEST_APPID, "secret": "demo_secret", "code": code, "grant_type": "authorization_code"})
    explained = phone.client.get(again)
    assert explained.status_code == 400 and "微信授权未成功" in explained.get_data(as_text=True)


def test_another_citizens_application_cannot_be_read_or_cancelled(site, emulator):
    owner, other = Phone(site, emulator, "o_owner"), Phone(site, emulator, "o_other")
    target = event_id(site, "OD-01")
    owner.open(f"/my/apply/{target}")
    owner.client.post(f"/my/apply/{target}", data={"name": "赵六", "mobile": "13900001111", "category": "人大代表",
                                                    "street": "黄村镇", "consent": "y"})
    with site.app_context():
        mine = db.session.scalar(select(Application.id))
    other.open("/my/applications")
    assert "政务开放日·政务服务体验（开放点1）" not in other.client.get("/my/applications").get_data(as_text=True)
    assert other.client.get(f"/my/applications/{mine}/cancel").status_code == 404
    assert other.client.post(f"/my/applications/{mine}/cancel").status_code == 404
    assert other.client.post(f"/my/applications/{mine}/offer", data={"answer": "accept"}).status_code == 404
    with site.app_context():
        assert db.session.get(Application, mine).status == ApplicationStatus.APPLIED
    cancelled = owner.client.post(f"/my/applications/{mine}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "已取消" in cancelled


def test_the_session_expires_and_the_large_text_switch(site, emulator, fixed_now):
    phone = Phone(site, emulator, "o_elder")
    assert phone.open("/my/applications").status_code == 200
    assert 'class="large"' in phone.client.get("/my/applications?size=large").get_data(as_text=True)
    assert 'class="large"' in phone.client.get("/my/suggestions").get_data(as_text=True), "kept for the session"
    with clock.frozen(NOW + dt.timedelta(minutes=121)):
        assert phone.client.get("/my/applications").location.startswith(emulator.base), "signed out after 2 hours"


def test_a_chat_dialogue_half_way_ends_politely_when_the_page_applies(site, emulator):
    wechat = WeChat(site.test_client())
    openid, target = "o_both_ways", event_id(site, "OD-01")
    wechat.text(openid, "报名")
    assert "政务开放日·政务服务体验（开放点1）" in wechat.text(openid, "1")
    wechat.text(openid, "张三")  # the chat now asks for the mobile
    phone = Phone(site, emulator, openid)
    phone.open(f"/my/apply/{target}")
    phone.client.post(f"/my/apply/{target}", data={"name": "张三", "mobile": "13812345678", "category": "人大代表",
                                                    "street": "黄村镇", "consent": "y"})
    reply = wechat.text(openid, "13812345678")
    assert "您已在网页上完成“政务开放日·政务服务体验（开放点1）”的报名" in reply and "本次对话报名已结束" in reply
    assert wechat.text(openid, "帮助").startswith("您可以点击下方菜单"), "the dialogue is over: keywords work again"
    with site.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1


def test_a_citizen_submitting_more_than_20_times_a_minute_is_asked_to_wait(site, emulator):
    # issue 28, item 6: the pages' submission throttle counts on the app's Flask-Limiter strategy in Redis.
    hasty, other = Phone(site, emulator, "o_hasty"), Phone(site, emulator, "o_calm")
    target = event_id(site, "OD-01")
    hasty.open(f"/my/apply/{target}")
    hasty.client.post(f"/my/apply/{target}", data={"name": "钱七", "mobile": "13900002222", "category": "人大代表",
                                                    "street": "黄村镇", "consent": "y"})
    with site.app_context():
        mine = db.session.scalar(select(Application.id))
    statuses = [hasty.client.post(f"/my/applications/{mine}/cancel").status_code for _ in range(20)]
    assert statuses == [302] * 19 + [429]  # the application above was the first of the minute's 20
    refused = hasty.client.post(f"/my/applications/{mine}/cancel")
    assert refused.status_code == 429 and "您的操作过于频繁，请一分钟后再试" in refused.get_data(as_text=True)
    other.open(f"/my/apply/{target}")
    applied = other.client.post(f"/my/apply/{target}", data={"name": "孙八", "mobile": "13900003333",
                                                             "category": "人大代表", "street": "黄村镇", "consent": "y"})
    assert applied.status_code == 302  # nobody else is slowed
