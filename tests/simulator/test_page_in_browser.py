"""The simulator page in Chromium: what the service sends is escaped, cards and links drawn."""

from __future__ import annotations

import pytest

from tests.simulator.conftest import Setup

pytestmark = pytest.mark.e2e


def test_messages_are_escaped_and_rendered(setup: Setup, phone_page) -> None:
    emulator, page = setup.emulator, phone_page
    emulator.follower("o_page", interaction="message")
    hostile = 'hi <b>bold</b><img src=x onerror="window.pwned=1">\n<a href="https://x.cn/e">详情</a> <a href="javascript:alert(1)">坏</a>'
    emulator.api("/cgi-bin/message/custom/send", {"touser": "o_page", "msgtype": "text", "text": {"content": hostile}})
    card = {"thing1": {"value": "<i>开放日</i>"}, "time2": {"value": "5月20日 09:30"}, "thing3": {"value": "政务中心"}}
    emulator.api("/cgi-bin/message/template/send",
                 {"touser": "o_page", "template_id": "tmpl_reminder", "url": "https://x.cn/e/1", "data": card})
    page.goto(setup.service_base + "/simulator?openid=o_page")
    page.locator(".card.template").wait_for()
    bubble = page.locator(".bubble .text").first
    assert "<b>bold</b>" in bubble.inner_text(), "tags shown as text"
    assert page.evaluate("window.pwned") is None, "nothing from the service runs"
    links = page.eval_on_selector_all(".bubble a", "els => els.map(e => e.href)")
    assert links == ["https://x.cn/e"], "only http(s) links become links"
    assert "\n" in bubble.inner_text(), "newlines kept"
    assert page.locator(".card.template .card-title").inner_text() == "活动开始提醒"
    assert "<i>开放日</i>" in page.locator(".card.template dd").first.inner_text()
    assert page.locator(".card.template a.card-footer").get_attribute("href") == "https://x.cn/e/1"
    assert page.locator("#bar").is_visible(), "a follower sees the menu bar"


COLOURED_PIXELS = """(el) => {
    // Draw the bubble's text with the bubble's own font and count clearly coloured pixels:
    // a colour emoji font paints yellow faces; without one Chromium draws grey "tofu" boxes.
    const style = getComputedStyle(el);
    const canvas = document.createElement('canvas');
    canvas.width = 400; canvas.height = 80;
    const ctx = canvas.getContext('2d');
    ctx.font = `40px ${style.fontFamily}`;
    ctx.fillStyle = '#000';
    ctx.fillText(el.innerText.trim(), 4, 56);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured++;
    }
    return coloured;
}"""


def test_emoji_a_citizen_types_are_drawn_in_colour_not_as_empty_boxes(setup: Setup, phone_page) -> None:
    emulator, page = setup.emulator, phone_page
    emulator.follower("o_emoji", interaction="message")
    emulator.api("/cgi-bin/message/custom/send", {"touser": "o_emoji", "msgtype": "text", "text": {"content": "😀👍🎉"}})
    page.goto(setup.service_base + "/simulator?openid=o_emoji")
    bubble = page.locator(".bubble .text").first
    bubble.wait_for()
    assert bubble.inner_text().strip() == "😀👍🎉"
    assert page.evaluate(COLOURED_PIXELS, bubble.element_handle()) > 200, \
        "no colour emoji font: scripts/bootstrap.sh installs fonts-noto-color-emoji"
