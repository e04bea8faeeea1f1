"""In a real browser against the running stack: drafts keep what the clerk chose, the entry pass,
the check-in window and the holiday-schedule banner."""

from __future__ import annotations

import requests

from tests.e2e.helpers import login


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
