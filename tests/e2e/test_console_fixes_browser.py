"""In a real browser against the running stack: drafts keep what the clerk chose, the entry pass,
the check-in window and the holiday-schedule banner."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import login

ROOT = SCREENSHOTS.parents[1]
LOOKUP_SCRIPT = """
import sys
from sqlalchemy import select
from wsgi import app
from models import Event, db
with app.app_context():
    print(db.session.scalar(select(Event.id).where(Event.code == sys.argv[1])))
"""


def _python(stack, script: str, *args: str) -> str:
    """Run ``script`` in a process with the stack's environment (same database and keys)."""
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=stack.env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _phone(stack, openid: str, **body) -> dict:
    """What a citizen does on the phone (through the emulator, which signs and posts to /wechat)."""
    return requests.post(stack.emulator_url + "/_phone/send", json={"openid": openid, **body}, timeout=10).json()


def test_a_saved_draft_is_published_in_bulk_with_its_adoption_status_and_reason(live_stack, page):
    openid = "o_e2e_draft"
    _phone(live_stack, openid, type="event", event="subscribe", nickname="草稿市民")
    _phone(live_stack, openid, type="text", content="建议")
    _phone(live_stack, openid, type="text", content="0")
    _phone(live_stack, openid, type="text", content="建议在街道服务中心增设自助打印机，方便群众办事")

    login(page, live_stack, "coordinator")
    page.goto(live_stack.base_url + "/console/suggestions?status=received")
    page.locator("tr", has_text="增设自助打印机").locator("a").first.click()
    page.select_option("select[name=adoption]", "partly")
    page.fill("textarea[name=reason]", "先在两个街道试点")
    page.fill("textarea[name=reply_text]", "感谢您的建议，自助打印机将先行试点。")
    page.click("button[value=draft]")
    page.wait_for_selector("text=答复草稿已保存")

    page.goto(live_stack.base_url + "/console/suggestions/drafts")
    row = page.locator("tr", has_text="自助打印机将先行试点")
    assert row.locator("select").input_value() == "partly"
    assert row.locator("input[type=text]").input_value() == "先在两个街道试点"
    row.locator("input[type=checkbox]").check()
    page.click("text=发布所选答复")
    page.wait_for_selector("text=已发布 1 条答复")
    page.goto(live_stack.base_url + "/console/suggestions?status=replied")
    assert page.locator("tr", has_text="增设自助打印机").locator("text=已答复·部分采纳").count() == 1


def test_check_in_weeks_before_the_event_is_refused_with_the_window(live_stack, phone_page):
    event_id = _python(live_stack, LOOKUP_SCRIPT, "OD-08")  # 采育镇, weeks away
    door = phone_page
    login(door, live_stack, "unit")
    door.goto(f"{live_stack.base_url}/console/events/{event_id}/checkin")
    assert "签到时间：" in door.locator("#checkin-window").inner_text()
    assert door.locator("#checkin-closed").inner_text().startswith("尚未到签到时间")
    door.fill("#code", "ABCDEF")
    door.click("#checkin-form button[type=submit]")
    door.wait_for_selector("#result.bad")
    assert door.locator("#result").inner_text().startswith("尚未到签到时间")
    assert door.locator("#arrived").inner_text() == "0"


PASS_SCRIPT = """
import sys
from sqlalchemy import select
from wsgi import app
from models import Application, ApplicationStatus, Citizen, Event, db
from services.calendar import clock
with app.app_context():
    event = db.session.scalar(select(Event).where(Event.code == sys.argv[1]))
    citizen = Citizen(openid="o_e2e_pass", created_at=clock.now())
    db.session.add(citizen)
    db.session.flush()
    db.session.add(Application(event_id=event.id, citizen_id=citizen.id, name="入场市民", mobile="13700001234",
                               category="其他群众", street="旧宫镇", status=ApplicationStatus.SELECTED,
                               checkin_code=sys.argv[2], created_at=clock.now()))
    db.session.commit()
    print(event.title + "|" + event.place)
"""


def test_the_entry_pass_shows_the_event_and_an_unknown_code_is_not_valid(live_stack, phone_page):
    title, place = _python(live_stack, PASS_SCRIPT, "OD-08", "E2EPAS").split("|")
    response = phone_page.goto(f"{live_stack.base_url}/pass/E2EPAS")
    assert response.status == 200
    assert phone_page.locator("#pass-title").inner_text() == title
    assert place in phone_page.locator("#pass-event").inner_text()
    assert "时间" in phone_page.locator("#pass-event").inner_text()
    assert phone_page.locator("#pass-code").inner_text() == "E2EPAS"
    assert phone_page.locator("svg").count() == 1
    assert "入场市民" not in phone_page.content()

    response = phone_page.goto(f"{live_stack.base_url}/pass/NOPE00")
    assert response.status == 404
    assert "此签到码无效" in phone_page.locator("#pass-invalid").inner_text()
    assert phone_page.locator("svg").count() == 0


def test_the_holiday_banner_is_one_line_on_the_phone_and_can_be_closed(live_stack, phone_page):
    from services.calendar import workdays

    if not workdays.calendar_health().get("warnings"):
        pytest.skip("every year the calendar needs today is loaded: no banner to show")
    login(phone_page, live_stack, "unit")
    banner = phone_page.locator("#calendar-banner")
    assert "节假日安排未载入" in banner.inner_text()
    assert banner.bounding_box()["height"] < 40  # one line, not a third of the check-in screen
    phone_page.goto(live_stack.base_url + "/console/suggestions")
    phone_page.locator("#calendar-banner button").click()
    phone_page.wait_for_url("**/console/suggestions")
    assert phone_page.locator("#calendar-banner").count() == 0
    phone_page.goto(live_stack.base_url + "/console/events")
    assert phone_page.locator("#calendar-banner").count() == 0  # closed for the session
    phone_page.goto(live_stack.base_url + "/console/compliance")
    assert "法定节假日安排" in phone_page.locator(".calendar-warning").first.inner_text()  # in full on the board
