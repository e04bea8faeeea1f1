"""In a real browser: a coordinator sets street quotas on the draw page (one street capped, and every street
at most N); a mistake is explained with everything typed kept; the result shows the street caps used, the
lowest selection probability and why the quotas lowered it."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import login

ROOT = SCREENSHOTS.parents[1]
# 40 applications (through the service layer, as the chat makes them) to an open event nobody applied to yet:
# 20 from the first street, the others two per street. Prints the event id and the crowded street.
APPLY_SCRIPT = """
from sqlalchemy import func, select
from wsgi import app
from models import Application, db
from services.calendar import clock
from services.participation import applications, streets
from services.programme import events
with app.app_context():
    now = clock.now()
    taken = set(db.session.scalars(select(Application.event_id).group_by(Application.event_id)))
    event = next(e for e in events.open_for_applications(events.upcoming(db.session, now), now) if e.id not in taken and e.seats == 30)
    for i in range(40):
        street = streets.ALL[0] if i < 20 else streets.ALL[1 + (i - 20) // 2]
        applications.apply(db.session, f"o_e2e_street_{i}", event.id, name="街镇市民" + "甲乙丙丁戊己庚辛壬癸"[i % 10],
                           mobile=f"1370000{i:04d}", category=applications.CATEGORIES[i % 6], street=street,
                           reason="", now=now)
    db.session.commit()
    print(event.id, streets.ALL[0])
"""


def _python(stack, script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=stack.env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_street_quotas_are_set_in_the_browser_and_explained_on_the_result(live_stack, page):
    event_id, crowded = _python(live_stack, APPLY_SCRIPT).split()
    login(page, live_stack, "coordinator")
    page.goto(f"{live_stack.base_url}/console/events/{event_id}/selection")
    assert page.locator("#street-quotas").is_visible()
    page.fill("#street_cap", "10")
    page.fill(f"input[aria-label='{crowded}街镇下限']", "19")
    page.fill(f"input[aria-label='{crowded}街镇上限']", "12")  # a slip: the minimum above the maximum
    page.fill("input[name=seed]", "20261128")
    page.click("form[action$='/selection/draw'] button[type=submit]")
    page.wait_for_selector(f"text=“{crowded}”的下限 19 大于上限 12")
    assert page.input_value("#street_cap") == "10" and page.input_value("input[name=seed]") == "20261128"
    assert page.input_value(f"input[aria-label='{crowded}街镇上限']") == "12"
    page.fill(f"input[aria-label='{crowded}街镇下限']", "")
    page.click("form[action$='/selection/draw'] button[type=submit]")
    page.wait_for_selector("text=遴选已开始")
    page.wait_for_selector("text=入选名单（30 人）", timeout=120000)  # the page polls, then reloads
    streets = page.locator("#street-result")
    crowded_row = streets.locator("tr", has_text=crowded)
    assert crowded_row.locator("td").nth(2).inner_text() == "0–12"
    assert int(crowded_row.locator("td").nth(1).inner_text()) <= 12
    other_rows = streets.locator("tbody tr")
    assert all(other_rows.nth(i).locator("td").nth(2).inner_text() in ("0–12", "0–10")
               for i in range(other_rows.count()))
    lowest = page.locator("#min-probability").inner_text()
    note = page.locator("#probability-note").inner_text()
    assert "不设配额时，每位报名者的入选概率为 75.0%" in note and "和街镇" in note and f"降至 {lowest}" in note
