"""The Content-Security-Policy allows no inline script, and the console still works (issue 17, item 7).

Served for real (werkzeug on a loopback port) and driven by Debian's chromium: every
page visited is watched for CSP violations, and the confirm-before-revoke, which was
an inline ``onsubmit``, still asks.
"""

from __future__ import annotations

import pytest

from tests.console.conftest import USERS
from tests.emulator.helpers import ServerThread


@pytest.fixture
def served(app, console_data):
    server = ServerThread(app)
    yield server.base
    server.stop()


def test_the_policy_allows_no_inline_script(client):
    policy = client.get("/console/login").headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "object-src 'none'" in policy


def test_console_pages_run_without_csp_violations_and_revoking_still_asks(app, served, console_data, page):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    username, password, _ = USERS["unit_a"]
    page.goto(served + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")
    applications = f"{served}/console/events/{console_data.event_a_id}/applications"
    page.goto(applications)
    page.fill("input[name=name]", "周邀请")
    page.fill("input[name=mobile]", "13811112222")
    page.select_option("form.row-form select[name=category]", "人大代表")
    page.click("text=添加邀请")
    page.wait_for_selector("text=已添加定向邀请：周邀请")
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("button:has-text('撤销')")
    page.wait_for_timeout(300)
    assert asked == ["确定撤销该定向邀请吗？"]
    assert "周邀请" in page.content()  # dismissed: nothing revoked
    for path in ("/console/", "/console/events", f"/console/events/{console_data.event_a_id}/checkin",
                 "/console/suggestions"):
        page.goto(served + path)
    assert violations == []
