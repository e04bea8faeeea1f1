"""The custom menu: ``/cgi-bin/menu/create|get|delete`` with WeChat's limits.

At most 3 top-level buttons (40016) with at most 5 sub-buttons each (40023);
names at most 16 bytes on top (40018) and 60 bytes below (40025); keys at most
128 bytes (40019 / 40026); URLs at most 1024 bytes (40020 / 40027); only
WeChat's button types (40017 / 40024).
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from emulator.errors import WeChatError, json_body, ok
from emulator.state import current_state

bp = Blueprint("emulator_menu", __name__)

BUTTON_TYPES = {
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
    "miniprogram",
}
KEY_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
URL_TYPES = {"view", "miniprogram"}
ID_FIELDS = {"media_id": "media_id", "view_limited": "media_id"}
ID_FIELDS.update({"article_id": "article_id", "article_view_limited": "article_id"})

# (too many buttons, type, name, key, url) errors and the name limit per level.
TOP_LEVEL = {"size": 40016, "type": 40017, "name": 40018, "key": 40019, "url": 40020, "max": 16}
SUB_LEVEL = {"size": 40023, "type": 40024, "name": 40025, "key": 40026, "url": 40027, "max": 60}


def _byte_len(value: Any) -> int:
    """WeChat counts UTF-8 bytes: a Chinese character is 3."""
    return len(str(value).encode("utf-8"))


def _check_leaf(button: dict[str, Any], codes: dict[str, int]) -> None:
    """Validate a button that does something (no sub-buttons)."""
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise WeChatError(codes["type"])
    if kind in KEY_TYPES and not 0 < _byte_len(button.get("key", "")) <= 128:
        raise WeChatError(codes["key"])
    if kind in URL_TYPES and not 0 < _byte_len(button.get("url", "")) <= 1024:
        raise WeChatError(codes["url"])
    if kind in ID_FIELDS and not button.get(ID_FIELDS[kind]):
        raise WeChatError(40007)


def _check_button(button: Any, codes: dict[str, int]) -> None:
    """Validate one button's name, then its action or its sub-buttons."""
    if not isinstance(button, dict):
        raise WeChatError(47001)
    if not 0 < _byte_len(button.get("name", "")) <= codes["max"]:
        raise WeChatError(codes["name"])
    subs = button.get("sub_button")
    if codes is TOP_LEVEL and isinstance(subs, list) and subs:
        if len(subs) > 5:
            raise WeChatError(SUB_LEVEL["size"])
        for sub in subs:
            _check_button(sub, SUB_LEVEL)
        return
    _check_leaf(button, codes)


def validate_menu(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the buttons of a valid menu or raise WeChat's error code."""
    buttons = body.get("button")
    if not isinstance(buttons, list):
        raise WeChatError(47001)
    if not 0 < len(buttons) <= 3:
        raise WeChatError(TOP_LEVEL["size"])
    for button in buttons:
        _check_button(button, TOP_LEVEL)
    return buttons


def _as_returned(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The menu as ``menu/get`` shows it: every button has a ``sub_button`` list."""
    shown = copy.deepcopy(buttons)
    for button in shown:
        button.setdefault("sub_button", [])
        for sub in button["sub_button"]:
            sub.setdefault("sub_button", [])
    return shown


@bp.post("/cgi-bin/menu/create")
def create_menu() -> ResponseReturnValue:
    """Replace the account's menu."""
    buttons = validate_menu(json_body())
    state = current_state()
    with state.lock:
        state.menu = {"button": copy.deepcopy(buttons)}
    return ok()


@bp.get("/cgi-bin/menu/get")
def get_menu() -> ResponseReturnValue:
    """The menu, or 46003 when there is none."""
    state = current_state()
    with state.lock:
        if state.menu is None:
            raise WeChatError(46003)
        return {"menu": {"button": _as_returned(state.menu["button"])}}


@bp.get("/cgi-bin/menu/delete")
def delete_menu() -> ResponseReturnValue:
    """Remove the menu (WeChat answers ok even when there was none)."""
    state = current_state()
    with state.lock:
        state.menu = None
    return ok()


@bp.get("/cgi-bin/get_current_selfmenu_info")
def current_selfmenu_info() -> ResponseReturnValue:
    """The menu in the other shape WeChat uses: sub-buttons under ``{"list": [...]}``."""
    state = current_state()
    with state.lock:
        if state.menu is None:
            return {"is_menu_open": 0, "selfmenu_info": {"button": []}}
        buttons = copy.deepcopy(state.menu["button"])
    for button in buttons:
        if button.get("sub_button"):
            button["sub_button"] = {"list": button["sub_button"]}
    return {"is_menu_open": 1, "selfmenu_info": {"button": buttons}}
