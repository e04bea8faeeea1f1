"""Issue 26.3: the README's trial walk-through on a moved clock (``CLOCK_NOW=… make run``).

WeChat (here the emulator) signs every push with the real time; with the service's business clock
ten days ahead every push was answered 403 and the phone showed "该公众号暂时无法提供服务".
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from scripts.devstack import Stack, free_port
from services.calendar import clock

UNAVAILABLE = "该公众号暂时无法提供服务"


@pytest.fixture
def moved_stack():
    moved = clock.local(clock.wall_time() + dt.timedelta(days=10)).replace(microsecond=0)
    directory = Path(tempfile.mkdtemp(prefix="zm-moved-"))
    stack = Stack(instance_dir=directory, web_port=free_port(), emulator_port=free_port(), quiet=True,
                  with_scheduler=False, web_workers=1, extra_env={"CLOCK_NOW": moved.isoformat()})
    try:
        stack.start()
        yield stack, moved
    finally:
        stack.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _send(stack: Stack, **body) -> dict:
    answer = requests.post(f"{stack.emulator_url}/_phone/send", json={"openid": "o_trial", **body}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_walk_through_answers_on_a_clock_ten_days_ahead(moved_stack):
    stack, moved = moved_stack
    emulator_clock = requests.get(f"{stack.emulator_url}/_admin/clock", timeout=5).json()
    assert emulator_clock["local"].startswith(moved.date().isoformat())  # the phone lives on the trial's day too
    follow = _send(stack, type="event", event="subscribe")
    assert follow["status"] == 200 and UNAVAILABLE not in str(follow["replies"]), follow
    listing = _send(stack, type="text", content="活动")
    assert listing["status"] == 200, listing
    [reply] = listing["replies"]
    assert reply["type"] == "text" and "1." in reply["content"], reply
    detail = _send(stack, type="text", content="1")
    assert "主办单位" in detail["replies"][0]["content"], detail
