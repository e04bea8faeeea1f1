"""In a real browser against the running stack: staff answer a suggestion (the citizen's phone gets it)
and send a broadcast whose progress bar reaches 100 %; screenshots of the main pages go to docs/img."""

from __future__ import annotations

import json

import requests

from tests.e2e.helpers import login, received, shot

SUGGESTION = "建议在周末也举办政务开放日活动，方便上班族参加<b>谢谢</b>"
REPLY = "感谢您的建议！今年下半年起每月安排一场周末开放日。"
BROADCAST = "【政民互动】本周六上午9点半政务开放日（周末场）开放报名，欢迎参加。"


def _phone(stack, openid: str, **body) -> dict:
    """What a citizen does on the phone (through the emulator, which signs and posts to /wechat)."""
    answer = requests.post(stack.emulator_url + "/_phone/send", json={"openid": openid, **body}, timeout=10)
    return answer.json()








def test_staff_reply_reaches_the_citizen(live_stack, page):
    openid = "o_e2e_reply"
    _phone(live_stack, openid, type="event", event="subscribe", nickname="周末市民")
    _phone(live_stack, openid, type="text", content="建议")
    _phone(live_stack, openid, type="text", content="0")
    done = _phone(live_stack, openid, type="text", content=SUGGESTION)
    assert "JY" in json.dumps(done, ensure_ascii=False)

    login(page, live_stack, "coordinator")
    page.goto(live_stack.base_url + "/console/suggestions?status=received")
    row = page.locator("tr", has_text="方便上班族参加")
    assert row.count() == 1
    shot(page, "suggestions")
    row.locator("a").first.click()
    # The citizen's markup is shown as text, never as markup.
    assert page.locator("#suggestion-text").inner_text().endswith("<b>谢谢</b>")
    assert page.locator("#suggestion-text b").count() == 0
    page.select_option("select[name=adoption]", "adopted")
    page.fill("textarea[name=reason]", "已纳入下半年工作安排")
    page.fill("textarea[name=reply_text]", REPLY)
    shot(page, "suggestion-reply")
    page.click("button[value=publish]")
    page.wait_for_selector("text=答复已发布")
    assert "已答复·采纳" in page.content()

    message = received(live_stack, openid, "每月安排一场周末开放日")
    assert message  # delivered by the worker through the WeChat API emulator


def test_broadcast_progress_reaches_100_percent(live_stack, page):
    openid = "o_e2e_broadcast"
    _phone(live_stack, openid, type="event", event="subscribe", nickname="关注市民")
    login(page, live_stack, "coordinator")
    page.goto(live_stack.base_url + "/console/broadcasts/new")
    page.check("input[name=audience][value=all]")
    page.fill("textarea[name=content]", BROADCAST)
    assert page.locator("text=本月剩余").first.is_visible()
    shot(page, "broadcast-compose")
    page.click("#broadcast-form button[type=submit]")
    page.wait_for_selector("#send-button")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#send-button")
    page.wait_for_selector("#final-report", timeout=45000)
    assert page.locator("#progress-percent").inner_text() == "100"
    assert "发送报告" in page.content()
    shot(page, "broadcast-progress")
    received(live_stack, openid, "周末场")


def _send_broadcast(page, stack, content: str) -> None:
    """Compose an all-followers broadcast, confirm, and wait for the final report."""
    page.goto(stack.base_url + "/console/broadcasts/new")
    page.check("input[name=audience][value=all]")
    page.fill("textarea[name=content]", content)
    page.click("#broadcast-form button[type=submit]")
    page.wait_for_selector("#send-button")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send-button")
    page.wait_for_selector("#final-report", timeout=45000)


def test_a_final_failure_shows_its_reason_in_the_report_and_the_outbox_page(live_stack, page):
    _phone(live_stack, "o_e2e_failure", type="event", event="subscribe", nickname="市民")
    # WeChat refuses mass sends to an account without the permission: final, never retried.
    requests.post(live_stack.emulator_url + "/_admin/faults", timeout=5,
                  json={"kinds": ["48001"], "rate": 1.0, "paths": ["/cgi-bin/message/mass/"]})
    try:
        login(page, live_stack, "coordinator")
        _send_broadcast(page, live_stack, "【政民互动】本月政策公开讲回顾")
    finally:
        requests.delete(live_stack.emulator_url + "/_admin/faults", timeout=5)
    assert "48001" in page.locator("#failure-table").inner_text()
    assert "公众号没有该接口权限" in page.content()
    shot(page, "broadcast-failed")
    page.goto(live_stack.base_url + "/console/outbox")
    assert "公众号没有该接口权限" in page.content()
    shot(page, "outbox")


def test_screenshots_of_the_board_stats_closing_and_outbox(live_stack, page):
    login(page, live_stack, "coordinator")
    for name, path in [("compliance", "/console/compliance"), ("stats", "/console/stats"),
                       ("closing", "/console/closing"), ("broadcasts", "/console/broadcasts")]:
        page.goto(live_stack.base_url + path)
        if name == "stats":
            page.wait_for_function("() => window.Chart !== undefined")
        assert page.locator("h1").count() == 1
        shot(page, name)
    page.goto(live_stack.base_url + "/console/compliance")
    page.locator("a", has_text="填写活动总结").first.click()
    assert "实到人数" in page.content()
    shot(page, "closing-form")
