"""The 报名编号: told in the success reply and in 我的报名, the same number the draw record lists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Application
from tests.handlers.test_apply import STEPS, start

pytestmark = pytest.mark.postgres  # also run on PostgreSQL with TEST_DATABASE=postgresql


def test_the_number_is_told_on_success_and_in_my_applications(citizen, programme, db_ctx):
    start(citizen)
    for answer, _ in STEPS:
        citizen.say(answer)
    done = citizen.say("确认")
    assert done.startswith("报名成功！")
    found = re.search(r"报名编号：(\d{8})", done)
    assert found, done
    with db_ctx() as session:
        assert session.scalars(select(Application)).one().number == found[1]
    listing = citizen.say("我的报名")
    assert f"报名编号：{found[1]}" in listing
    assert f"报名编号：{found[1]}" in citizen.say("1")
