"""A citizen's whole journey in the phone simulator, with the screenshots the README shows.

Follow → 活动 → an event's detail → 报名 through every step → 我的报名 → 建议.
"""

from __future__ import annotations

import uuid

from tests.e2e.conftest import SCREENSHOTS


def _say(page, text: str) -> str:
    """Type ``text`` and return the account's reply."""
    before = page.locator(".row-msg.left").count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.locator(".row-msg.left").nth(before).wait_for()
    return page.locator(".row-msg.left .bubble").last.inner_text()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{name}.png"))


def test_citizen_applies_and_leaves_a_suggestion(live_stack, phone_page):
    page = phone_page
    page.goto(f"{live_stack.base_url}/simulator?openid=o_walk_{uuid.uuid4().hex[:8]}")
    page.click("#follow")
    page.locator(".row-msg.left .bubble").first.wait_for()
    page.click("#to-keyboard")

    assert "回复序号查看活动详情" in _say(page, "活动")
    detail = _say(page, "1")
    for field in ("时间", "时长", "地点", "主办单位", "名额", "截止", "加入手机日历"):
        assert field in detail
    _shot(page, "1-detail")

    assert "姓名" in _say(page, "报名")
    assert "手机" in _say(page, "王小明")
    assert "例如" in _say(page, "12345")  # a wrong number is asked again with an example
    assert "身份" in _say(page, "13912345678")
    assert "街道" in _say(page, "3")
    assert "理由" in _say(page, "清源街道")
    _say(page, "跳过")
    summary = _say(page, "同意")
    assert "139****5678" in summary
    _shot(page, "2-summary")
    done = _say(page, "确认")
    assert done.startswith("报名成功")
    _shot(page, "3-applied")

    mine = _say(page, "我的报名")
    assert "已报名" in mine
    suggestion = _say(page, "建议")
    assert "建议" in suggestion
    _shot(page, "4-my-applications")
