"""The phone simulator in a real browser, through the whole service: follow, tap the menu, type 活动."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.conftest import SCREENSHOTS


def deliveries(emulator_url: str, openid: str) -> list[dict]:
    """What the emulator posted to the service's webhook for ``openid``."""
    posted = requests.get(emulator_url + "/_admin/deliveries", timeout=5).json()
    return [d for d in posted if d.get("openid") == openid]


def test_citizen_follows_taps_menu_and_types(live_stack, phone_page) -> None:
    page = phone_page
    openid = "o_e2e_" + uuid.uuid4().hex[:12]
    page.goto(f"{live_stack.base_url}/simulator?openid={openid}")
    assert page.locator("#banner").is_hidden(), "the emulator is reachable"

    page.click("#follow")
    welcome = page.locator(".row-msg.left .bubble").first
    welcome.wait_for()
    assert "欢迎关注" in welcome.inner_text()
    assert page.locator("#menu .menu-item").count() >= 1, "the menu the service pushed is drawn"

    page.locator("#menu .menu-item").first.click()
    page.locator("#submenu .submenu-item").first.click()
    page.locator(".row-msg").first.wait_for()
    page.wait_for_timeout(500)
    clicks = [d for d in deliveries(live_stack.emulator_url, openid) if d["fields"].get("Event") == "CLICK"]
    assert clicks and clicks[0]["status"] == 200, "the tap reached /wechat as a CLICK event"

    before = page.locator(".row-msg.left").count()
    page.click("#to-keyboard")
    page.fill("#text", "活动")
    page.press("#text", "Enter")
    page.locator(".row-msg.right .bubble", has_text="活动").wait_for()
    page.locator(".row-msg.left").nth(before).wait_for()
    reply = page.locator(".row-msg.left .bubble").last.inner_text()
    assert reply.strip(), "the service answered 活动"
    assert page.locator(".notice").count() == 0, "no '该公众号暂时无法提供服务'"

    page.click("#to-menu")  # show the menu bar in the screenshot
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "simulator.png"))
