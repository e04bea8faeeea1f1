"""Helpers shared by the browser tests: log staff in, wait for a phone message, take a screenshot."""

from __future__ import annotations

import json
import time

import requests

from tests.e2e.conftest import SCREENSHOTS


def received(stack, openid: str, needle: str, timeout: float = 45) -> dict:
    """Wait until the emulator recorded a message to ``openid`` containing ``needle``."""
    deadline, found = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        found = requests.get(stack.emulator_url + "/_admin/messages", params={"openid": openid}, timeout=5).json()
        for message in found:
            if needle in json.dumps(message, ensure_ascii=False):
                return message
        time.sleep(0.5)
    raise AssertionError(f"{openid} never received {needle!r}; got {found!r}")


def login(page, stack, role: str) -> None:
    """Log in to the console as the demo account of ``role``."""
    username, password = stack.users[role]
    page.goto(stack.base_url + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


def shot(page, name: str) -> None:
    """A full-page screenshot into docs/img/console-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
