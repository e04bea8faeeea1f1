"""In a real browser against the running stack: unit staff create and publish an event, invite,
run the draw, confirm it (the citizens' phones get the result), and check a participant in by code;
another unit's event answers 403; the auditor cannot write. Screenshots go to docs/img/console-*.png."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import requests

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import login, received, shot

TITLE = "政务开放日·浏览器测试专场"
APPLICANTS = 10
ROOT = SCREENSHOTS.parents[1]
# Applications are made through the service layer, as the chat dialogue makes them.
APPLY_SCRIPT = """
import json, sys
from wsgi import app
from models import db
from services.calendar import clock
from services.participation import applications, streets
event_id, openids = int(sys.argv[1]), json.loads(sys.argv[2])
with app.app_context():
    for i, openid in enumerate(openids):
        applications.apply(db.session, openid, event_id, name="测试市民" + "甲乙丙丁戊己庚辛壬癸"[i],
                           mobile=f"1390000{i:04d}", category=applications.CATEGORIES[i % 6],
                           street=streets.ALL[i % 5], reason="想了解政务服务", now=clock.now())
    db.session.commit()
"""
# Check-in opens two hours before the start: bring the event to the door (an hour from now).
DOOR_SCRIPT = """
import datetime as dt, sys
from wsgi import app
from models import Event, db
from services.calendar import clock
with app.app_context():
    db.session.get(Event, int(sys.argv[1])).starts_at = clock.now() + dt.timedelta(hours=1)
    db.session.commit()
"""
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








def _weekday_after(days: int) -> dt.date:
    """A Tuesday–Thursday at least ``days`` from today (working days around it, holidays aside)."""
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() not in (1, 2, 3):
        day += dt.timedelta(days=1)
    return day


def _create_and_publish(page, stack) -> int:
    """Create a hybrid event through the form (one mistake first), then publish it; returns its id."""
    page.goto(stack.base_url + "/console/events/new")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=mode]", "hybrid")
    page.fill("input[name=duration_minutes]", "90")
    page.fill("input[name=place]", "采育镇政务服务中心二楼")
    page.fill("textarea[name=summary]", "走进镇政务服务中心，体验“一窗通办”。")
    page.fill("textarea[name=agenda]", "1. 签到入场\n2. 参观讲解\n3. 座谈交流")
    page.fill("input[name=seats]", "8")
    page.click("form.form-grid button[type=submit]")  # no start time yet: refused, nothing lost
    assert page.locator("text=请填写活动开始时间").is_visible()
    assert page.input_value("input[name=place]") == "采育镇政务服务中心二楼"
    shot(page, "event-form-error")
    starts = _weekday_after(24)
    page.fill("input[name=starts_at]", f"{starts:%Y-%m-%d}T10:00")
    page.fill("input[name=apply_closes_at]", f"{starts - dt.timedelta(days=7):%Y-%m-%d}T17:00")
    page.click("form.form-grid button[type=submit]")
    page.wait_for_selector("text=活动已保存为草稿")
    event_id = int(page.url.rstrip("/").split("/")[-1])
    page.click("text=预览并发布")
    assert page.locator("text=网民参与方式").first.is_visible()  # the missing item is named
    page.goto(f"{stack.base_url}/console/events/{event_id}/edit")
    page.fill("textarea[name=online_participation]", "在“大兴区政民互动”公众号观看直播，评论区留言提问。")
    page.click("form.form-grid button[type=submit]")
    page.wait_for_selector("text=修改已保存")
    page.goto(f"{stack.base_url}/console/events/{event_id}/publish")
    assert "评论区留言提问" in page.locator("pre.announcement").inner_text()
    shot(page, "event-publish")
    page.click("text=确认发布")
    page.wait_for_selector("text=活动已发布")
    shot(page, "event-detail")
    return event_id


def _invite(page, stack, event_id: int) -> None:
    """Two directed invitations through the applicants page."""
    page.goto(f"{stack.base_url}/console/events/{event_id}/applications")
    for name, category in [("周邀请", "人大代表"), ("吴邀请", "媒体记者")]:
        page.fill("input[name=name]", name)
        page.fill("input[name=mobile]", "13811112222")
        page.select_option("form.row-form select[name=category]", category)
        page.fill("input[name=note]", "定向邀请")
        page.click("text=添加邀请")
        page.wait_for_selector(f"text=已添加定向邀请：{name}")


def _draw_and_confirm(page, stack, event_id: int) -> None:
    page.goto(f"{stack.base_url}/console/events/{event_id}/selection")
    assert "本次待抽取" in page.content()
    page.fill("input[name=seed]", "20261123")
    page.click("form[action$='/selection/draw'] button[type=submit]")
    page.wait_for_selector("text=入选名单（6 人）", timeout=90000)  # the page polls, then reloads
    assert "20261123" in page.content() and "候补顺序（4 人）" in page.content()
    shot(page, "selection")
    page.click("text=确认并发送通知")  # before the deadline: a reason is asked for
    page.wait_for_selector("text=请填写提前确认的理由")
    page.fill("textarea[name=early_reason]", "场地调整，需提前通知入选人员")
    page.click("text=确认并发送通知")
    page.wait_for_selector("text=遴选结果已确认")
    assert "入选 6 人、候补 4 人" in page.content()


def test_unit_staff_run_an_event_from_creation_to_the_door(live_stack, page, browser):
    openids = [f"o_e2e_draw_{i}" for i in range(APPLICANTS)]
    for openid in openids:
        _phone(live_stack, openid, type="event", event="subscribe", nickname="报名市民")
    login(page, live_stack, "unit")
    event_id = _create_and_publish(page, live_stack)
    _python(live_stack, APPLY_SCRIPT, str(event_id), json.dumps(openids))
    _invite(page, live_stack, event_id)
    page.goto(f"{live_stack.base_url}/console/events/{event_id}/applications")
    assert "测试市民甲" in page.content() and "<td>人大代表</td><td>3</td>" in page.content() and "<td>媒体记者</td><td>2</td>" in page.content()
    shot(page, "applications")
    _draw_and_confirm(page, live_stack, event_id)
    for openid in openids:  # every applicant hears the result on the phone (delivered by the worker)
        received(live_stack, openid, TITLE)

    _python(live_stack, DOOR_SCRIPT, str(event_id))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    door = phone.new_page()
    login(door, live_stack, "unit")
    door.goto(f"{live_stack.base_url}/console/events/{event_id}/checkin")
    code = door.locator("table code").first.inner_text()
    door.fill("#code", code.lower())
    door.click("#checkin-form button[type=submit]")
    door.wait_for_selector("#result.ok")
    assert "签到成功" in door.locator("#result").inner_text() and door.locator("#arrived").inner_text() == "1"
    assert "已签到" in door.locator(f"tr[data-code='{code}'] td.status").inner_text()
    shot(door, "checkin")
    door.fill("#code", code)
    door.click("#checkin-form button[type=submit]")
    door.wait_for_selector("#result.bad")
    assert "已签到过" in door.locator("#result").inner_text()
    phone.close()


def test_unit_staff_cannot_open_another_units_event(live_stack, page):
    other = _python(live_stack, LOOKUP_SCRIPT, "OD-01")  # 观音寺街道
    login(page, live_stack, "unit")
    response = page.goto(f"{live_stack.base_url}/console/events/{other}")
    assert response.status == 403 and "您没有权限访问此页面" in page.content()
    page.goto(live_stack.base_url + "/console/events?when=all")
    assert "开放点1）" not in page.content() and "镇长面对面" in page.content()
    shot(page, "events")
    page.goto(f"{live_stack.base_url}/console/events/calendar?month={_weekday_after(24):%Y-%m}")
    assert page.locator("a.cal-event").count() >= 1
    shot(page, "events-calendar")


def test_the_auditor_reads_but_cannot_write(live_stack, page):
    event_id = _python(live_stack, LOOKUP_SCRIPT, "OD-08")
    login(page, live_stack, "auditor")
    page.goto(f"{live_stack.base_url}/console/events/{event_id}")
    assert page.locator("a", has_text="编辑").count() == 0 and page.locator("text=取消活动").count() == 0
    assert page.goto(f"{live_stack.base_url}/console/events/new").status == 403
    page.goto(f"{live_stack.base_url}/console/events/{event_id}/applications")
    assert "导出 Excel" not in page.content() and "添加邀请" not in page.content()
    # Even a hand-made POST with a valid CSRF token is refused.
    status = page.evaluate("""async (url) => {
        const token = document.querySelector('input[name=csrf_token]').value;
        const body = new URLSearchParams({csrf_token: token, reason: '审计不能取消'});
        return (await fetch(url, {method: 'POST', body})).status;
    }""", f"{live_stack.base_url}/console/events/{event_id}/cancel")
    assert status == 403
    page.goto(live_stack.base_url + "/console/audit?action=login")
    assert "auditor" in page.content()
    page.goto(live_stack.base_url + "/console/audit")
    shot(page, "audit")
