"""In a real browser: a coordinator previews what the quotas mean before anyone applies, then draws and confirms;
a citizen's phone opens the public record of the draw from the event page and sees every figure and no name."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import login, shot

ROOT = SCREENSHOTS.parents[1]
# An open event of 30 seats nobody applied to, chosen from the end of the list (the street-quota test takes the first).
FIND_SCRIPT = """
from sqlalchemy import select
from wsgi import app
from models import Application, db
from services.calendar import clock
from services.programme import events
with app.app_context():
    taken = set(db.session.scalars(select(Application.event_id).group_by(Application.event_id)))
    event = [e for e in events.open_for_applications(events.upcoming(db.session, clock.now()), clock.now()) if e.id not in taken and e.seats == 30][-1]
    print(event.id)
"""
# 45 applications through the service layer (as the chat makes them), categories in turn, eight streets.
APPLY_SCRIPT = """
import sys
from wsgi import app
from models import db
from services.calendar import clock
from services.participation import applications, streets
with app.app_context():
    for i in range(45):
        applications.apply(db.session, f"o_e2e_record_{i}", int(sys.argv[1]), name="公示市民" + "甲乙丙丁戊己庚辛壬癸"[i % 10],
                           mobile=f"1360000{i:04d}", category=applications.CATEGORIES[i % 6],
                           street=streets.ALL[i % 8], reason="", now=clock.now())
    db.session.commit()
"""


def _python(stack, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=stack.env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_preview_then_draw_then_the_public_record(live_stack, page, phone_page):
    event_id = _python(live_stack, FIND_SCRIPT)
    login(page, live_stack, "coordinator")
    page.goto(f"{live_stack.base_url}/console/events/{event_id}/selection")
    expected = ["40", "30", "200", "100", "10", "500"]
    for index, count in enumerate(expected):
        page.fill(f"input[name=expect-{index}]", count)
    page.fill("#street_cap", "4")
    page.click("#preview-button")
    page.wait_for_selector("#quota-preview")
    assert page.locator("#preview-min").inner_text() == "2.0%"
    assert "“其他群众”的上限 10 人起约束作用" in page.locator("#preview-binding").inner_text()
    assert page.input_value("input[name=expect-5]") == "500" and page.input_value("#street_cap") == "4"
    shot(page, "selection-preview")

    _python(live_stack, APPLY_SCRIPT, event_id)
    page.goto(f"{live_stack.base_url}/console/events/{event_id}/selection")
    page.fill("#street_cap", "")
    page.fill("input[name=seed]", "20261128")
    page.click("form[action$='/selection/draw'] button.primary")
    page.wait_for_selector("text=入选名单（30 人）", timeout=120000)
    page.fill("#early_reason", "浏览器测试：提前确认")
    page.click("text=确认并发送通知")
    page.wait_for_selector("#public-record-link")

    phone_page.goto(f"{live_stack.base_url}/events/{event_id}")
    phone_page.click("#draw-record-link")
    phone_page.wait_for_selector("#record-seed")
    assert phone_page.locator("#record-seed").inner_text() == "20261128"
    assert phone_page.locator("#record-command").inner_text() == f"flask selection verify {event_id} --seed 20261128"
    assert "sortition-algorithms" in phone_page.locator("#record-software").inner_text()
    rows = phone_page.locator("#record-categories tbody tr")
    assert rows.count() == 6
    assert sum(int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(6)) == 45
    assert sum(int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(6)) == 30
    assert all(rows.nth(i).locator("td").nth(4).inner_text().endswith("%") for i in range(6))
    body = phone_page.locator("body").inner_text()
    assert "公示市民" not in body and "1360000" not in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=str(SCREENSHOTS / "public-draw-record.png"), full_page=True)
