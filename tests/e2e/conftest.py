"""End-to-end fixtures: the whole service running (as `make run` starts it) and a real Chromium.

``live_stack`` starts Redis, the emulator, gunicorn, the scheduler and a worker on
free ports with demo data and staff accounts (``live_stack.users``). ``page`` is a
Playwright page in Debian's chromium.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scripts.devstack import DEMO_STAFF, Stack, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="session")
def live_stack():
    """The running service; ``base_url``, ``emulator_url``, ``users`` (role → (username, password))."""
    directory = Path(tempfile.mkdtemp(prefix="zm-e2e-"))
    stack = Stack(instance_dir=directory, web_port=free_port(), emulator_port=free_port(), quiet=True)
    try:
        stack.start()
    except Exception:
        stack.stop()
        raise
    stack.users = {
        "coordinator": ("admin", "Zhengmin2026!"),
        "unit": ("caiyu", "Caiyu2026!"),
        "unit_b": ("renbao", "Renbao2026!"),
        "auditor": ("auditor", "Audit2026!"),
    }
    assert {u[0] for u in stack.users.values()} == {s[0] for s in DEMO_STAFF}
    yield stack
    stack.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page (desktop size)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A fresh page with a phone-sized viewport."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e is marked ``e2e``."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
