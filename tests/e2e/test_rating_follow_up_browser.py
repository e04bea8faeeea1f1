"""In a real browser against the running stack: an overdue 差评 follow-up is red on the dashboard and the
compliance board; the unit answers it and the citizen's phone receives the answer."""

from __future__ import annotations

import subprocess
import sys

import requests

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import login, received

ROOT = SCREENSHOTS.parents[1]
OPENID = "o_e2e_rater"
TITLE = "政务开放日·差评回访演示"
# A 采育镇 open day 30 days ago whose participant rated it 非常不满意 that day: both deadlines have passed.
SEED_SCRIPT = """
import datetime as dt
from sqlalchemy import select
from wsgi import app
from models import Application, ApplicationStatus, Event, EventKind, EventMode, EventStatus, Unit, db
from services.calendar import clock
from services.participation import citizens, ratings
with app.app_context():
    if db.session.scalar(select(Event.id).where(Event.code == "E2E-RATING")) is None:
        now = clock.now()
        unit = db.session.scalar(select(Unit).where(Unit.name == "采育镇"))
        event = Event(code="E2E-RATING", kind=EventKind.OPEN_DAY, mode=EventMode.OFFLINE, status=EventStatus.CLOSED,
                      title=sys.argv[2], place="采育镇政务服务中心", starts_at=now - dt.timedelta(days=30),
                      unit_id=unit.id, seats=30, created_at=now)
        db.session.add(event)
        db.session.flush()
        # The follow a moment ago may not be written yet (the scheduler writes follows every 2 s).
        citizen = citizens.get_or_create(db.session, sys.argv[1], now)
        db.session.add(Application(event_id=event.id, citizen_id=citizen.id, category="群众代表",
                                   status=ApplicationStatus.CHECKED_IN, name="赵一鸣", mobile="13900001111",
                                   created_at=now))
        db.session.flush()
        ratings.rate(db.session, sys.argv[1], event.id, 5, ["讲解不清楚"], "后排听不清讲解",
                     event.ends_at + dt.timedelta(hours=1))
        db.session.commit()
"""


def test_an_overdue_follow_up_is_red_and_the_units_answer_reaches_the_phone(live_stack, page):
    requests.post(live_stack.emulator_url + "/_phone/send", json={
        "openid": OPENID, "type": "event", "event": "subscribe", "nickname": "评价市民"}, timeout=10)
    received_ok = subprocess.run([sys.executable, "-c", "import sys\n" + SEED_SCRIPT, OPENID, TITLE], cwd=ROOT,
                                 env=live_stack.env(), capture_output=True, text=True, timeout=60)
    assert received_ok.returncode == 0, received_ok.stderr

    login(page, live_stack, "unit")
    overdue = page.locator("#rating-overdue-table tr", has_text=TITLE)
    assert overdue.locator(".badge.red", has_text="未按期回访").is_visible()
    assert overdue.locator(".badge.red", has_text="未按期整改答复").is_visible()
    assert page.locator(".tile", has_text="逾期的差评回访整改").locator(".num").inner_text() == "1"
    page.screenshot(path="/tmp/rating-dashboard.png", full_page=True)

    page.goto(live_stack.base_url + "/console/compliance")
    assert page.locator("#rating-overdue-table tr", has_text=TITLE).locator(".badge.red").count() == 2
    page.screenshot(path="/tmp/rating-compliance.png", full_page=True)

    page.locator("#rating-overdue-table a", has_text=TITLE).click()
    assert page.locator("#follow-up-state").inner_text() == "已超期"
    assert page.get_by_text("赵一鸣 · 13900001111").is_visible()
    page.fill("textarea[name=reply]", "已为后排加装音箱，并提供讲解文字稿。")
    page.click("text=发布并推送给市民")
    page.wait_for_selector("text=整改答复已发布")
    assert page.locator("#follow-up-timeliness").inner_text() == "超期办结"
    page.screenshot(path="/tmp/rating-detail.png", full_page=True)
    received(live_stack, OPENID, "已为后排加装音箱")

    page.goto(live_stack.base_url + "/console/")
    assert page.locator("#rating-overdue-table").count() == 0
    assert page.locator(".tile", has_text="逾期的差评回访整改").locator(".num").inner_text() == "0"
