"""The stack `make run` starts answers as a whole: webhook via the emulator, console login."""

from __future__ import annotations

import requests

from tests.e2e.helpers import shot


def test_follow_through_the_emulator_gets_the_welcome(live_stack):
    answer = requests.post(
        live_stack.emulator_url + "/_phone/send",
        json={"openid": "o_smoke", "nickname": "测试市民", "type": "event", "event": "subscribe"},
        timeout=10,
    ).json()
    assert answer["status"] == 200
    assert "欢迎关注" in answer["replies"][0]["content"]


def test_console_login_in_a_real_browser(live_stack, page):
    username, password = live_stack.users["coordinator"]
    page.goto(live_stack.base_url + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")
    assert "工作台" in page.content() and "近期活动" in page.content()
    shot(page, "dashboard")
