"""The custom menu: read ``config/menu.toml``, check WeChat's limits, fill in URLs."""

from __future__ import annotations

import tomllib
from pathlib import Path

MENU_FILE = Path(__file__).resolve().parent / "menu.toml"


class MenuError(ValueError):
    """The menu breaks one of WeChat's limits."""


def load_menu(base_url: str, path: Path = MENU_FILE) -> dict:
    """The menu as WeChat's ``menu/create`` expects it, validated."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    buttons = data.get("button", [])
    if not 1 <= len(buttons) <= 3:
        raise MenuError("一级菜单必须为 1–3 个")
    for button in buttons:
        _check_name(button["name"], 16)
        subs = button.get("sub_button", [])
        if len(subs) > 5:
            raise MenuError(f"“{button['name']}”的二级菜单超过 5 个")
        for sub in subs:
            _check_name(sub["name"], 60)
            _check_action(sub, base_url)
        if not subs:
            _check_action(button, base_url)
    return {"button": buttons}


def _check_name(name: str, limit: int) -> None:
    if len(name.encode()) > limit:
        raise MenuError(f"菜单名称“{name}”超过 {limit} 字节")


def _check_action(button: dict, base_url: str) -> None:
    if button.get("type") == "view":
        button["url"] = button["url"].format(base=base_url)
    elif len(button.get("key", "").encode()) > 128 or not button.get("key"):
        raise MenuError(f"菜单“{button['name']}”的 key 为空或超过 128 字节")
