"""Pages inside WeChat, through the simulator: tap the menu, authorised silently, apply on one page."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.helpers import shot


def test_a_citizen_taps_the_menu_is_authorised_silently_applies_and_sees_it_in_the_chat(live_stack, phone_page):
    page = phone_page
    openid = "o_pages_" + uuid.uuid4().hex[:12]
    page.goto(f"{live_stack.base_url}/simulator?openid={openid}")
    page.click("#follow")
    page.locator(".row-msg.left .bubble").first.wait_for()

    page.locator("#menu .menu-item", has_text="服务").click()
    page.locator("#submenu .submenu-item", has_text="在线报名").click()
    browser = page.frame_locator("#browser-frame")
    browser.locator("h2", has_text="正在报名的活动").wait_for()
    first = browser.locator("ul.events a").first
    title = first.locator("strong").inner_text()
    first.click()
    browser.locator("h2", has_text="填写报名信息").wait_for()
    browser.locator("#name").fill("王小明")
    browser.locator("#mobile").fill("1381234")  # a typo first: the error sits beside the field, nothing is lost
    browser.locator("#category").select_option("群众代表（企业）")
    browser.locator("#street").select_option("黄村镇")
    browser.locator("#consent").check()
    browser.locator("button", has_text="提交报名").click()
    browser.locator(".errors", has_text="请填写 11 位手机号码").wait_for()
    assert browser.locator("#name").input_value() == "王小明"
    browser.locator("#mobile").fill("13812345678")
    browser.locator("#consent").check()
    browser.locator("button", has_text="提交报名").click()
    browser.locator(".flash", has_text="报名成功").wait_for()
    assert title in browser.locator("main").inner_text() and "138****5678" in browser.locator("main").inner_text()
    shot(page, "pages-my-applications")

    page.click("#browser-close")
    page.click("#to-keyboard")
    before = page.locator(".row-msg.left").count()
    page.fill("#text", "我的报名")
    page.press("#text", "Enter")
    page.locator(".row-msg.left").nth(before).wait_for()
    reply = page.locator(".row-msg.left .bubble").last.inner_text()
    assert title in reply and "已报名" in reply, reply

    authorised = requests.get(live_stack.emulator_url + "/_admin/oauth", timeout=5).json()["authorisations"]
    assert [a["scope"] for a in authorised if a["openid"] == openid] == ["snsapi_base"]
