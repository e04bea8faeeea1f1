"""The custom menu and WeChat's limits on it."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import Emulator


def click(name: str, key: str = "K") -> dict:
    """A click button."""
    return {"type": "click", "name": name, "key": key}


GOOD_MENU = {
    "button": [
        click("近期活动", "EVENTS"),
        {"name": "我要参与", "sub_button": [click("我的报名", "MY_APPS"), click("提建议", "SUGGEST")]},
        {"type": "view", "name": "关于", "url": "https://www.bjdx.gov.cn/"},
    ]
}


def test_menu_round_trip(emulator: Emulator) -> None:
    assert emulator.api("/cgi-bin/menu/create", GOOD_MENU)["errcode"] == 0
    menu = emulator.get("/cgi-bin/menu/get", access_token=emulator.token())["menu"]
    assert [b["name"] for b in menu["button"]] == ["近期活动", "我要参与", "关于"]
    assert menu["button"][0]["sub_button"] == []
    assert emulator.admin("GET", "/menu")["menu"] == GOOD_MENU
    assert emulator.get("/cgi-bin/menu/delete", access_token=emulator.token())["errcode"] == 0
    assert emulator.get("/cgi-bin/menu/get", access_token=emulator.token())["errcode"] == 46003
    assert emulator.admin("GET", "/menu")["menu"] is None


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([click("一"), click("二"), click("三"), click("四")], 40016),
        ([], 40016),
        ([{"name": "菜单", "sub_button": [click(f"子{i}") for i in range(6)]}], 40023),
        ([click("五个汉字啊啊")], 40018),  # 6 characters = 18 bytes > 16
        ([click("")], 40018),
        ([{"name": "菜单", "sub_button": [click("二十一个汉字" * 4)]}], 40025),  # 72 bytes > 60
        ([click("活动", "k" * 129)], 40019),
        ([click("活动", "")], 40019),
        ([{"type": "tap", "name": "活动", "key": "K"}], 40017),
        ([{"name": "菜单", "sub_button": [{"type": "tap", "name": "子", "key": "K"}]}], 40024),
        ([{"name": "菜单", "sub_button": [click("子", "k" * 129)]}], 40026),
        ([{"type": "view", "name": "官网", "url": ""}], 40020),
        ([{"name": "菜单", "sub_button": [{"type": "view", "name": "子", "url": "h" * 1025}]}], 40027),
    ],
)
def test_menu_limits(emulator: Emulator, buttons: list, errcode: int) -> None:
    assert emulator.api("/cgi-bin/menu/create", {"button": buttons})["errcode"] == errcode
    assert emulator.admin("GET", "/menu")["menu"] is None, "a refused menu is not stored"


def test_menu_limits_count_bytes_not_characters(emulator: Emulator) -> None:
    four_chinese = click("政民互动")  # 12 bytes
    five_latin_words = {"name": "M", "sub_button": [click("八个汉字八个汉字")]}  # 24 bytes ≤ 60
    exactly_16 = click("abcdefghijklmnop")
    body = {"button": [four_chinese, five_latin_words, exactly_16]}
    assert emulator.api("/cgi-bin/menu/create", body)["errcode"] == 0
    assert emulator.api("/cgi-bin/menu/create", {"button": [click("abcdefghijklmnopq")]})["errcode"] == 40018


def test_menu_create_needs_json(emulator: Emulator) -> None:
    import requests

    url = emulator.base + "/cgi-bin/menu/create"
    answer = requests.post(url, params={"access_token": emulator.token()}, data=b"{not json", timeout=5)
    assert answer.json()["errcode"] == 47001
