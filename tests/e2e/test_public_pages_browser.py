"""Public pages after the event, on a phone: the lecture's questions section and the adopted suggestions."""

from __future__ import annotations

import requests

from tests.e2e.conftest import SCREENSHOTS


def _a_lecture(base_url: str) -> int:
    for event_id in range(1, 40):
        page = requests.get(f"{base_url}/events/{event_id}", timeout=5)
        if page.ok and "会前提问与答疑" in page.text:
            return event_id
    raise AssertionError("the demo programme has no policy lecture page")


def test_a_lecture_page_invites_questions_and_the_adoptions_page_reads_on_a_phone(live_stack, phone_page):
    page = phone_page
    page.goto(f"{live_stack.base_url}/events/{_a_lecture(live_stack.base_url)}")
    section = page.locator("#lecture-questions")
    section.wait_for()
    assert "会前提问与答疑" in section.inner_text() and "提问" in section.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "public-lecture-questions.png"), full_page=True)
    page.goto(f"{live_stack.base_url}/suggestions/adopted")
    page.locator("h2", has_text="采纳建议落实情况").wait_for()
    assert page.locator("section.card").count() >= 2, "the introduction and the list (or its empty state)"
    page.screenshot(path=str(SCREENSHOTS / "public-adopted-suggestions.png"), full_page=True)
