"""The 报名编号 on the web pages: after applying on one page, and in 我的报名."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Application, db
from tests.public.test_citizen_pages import Phone, emulator, event_id, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres


def test_the_number_is_shown_after_applying_and_in_my_applications(site, emulator):  # noqa: F811
    phone = Phone(site, emulator, "o_number_citizen")
    target = event_id(site, "OD-01")
    phone.open(f"/my/apply/{target}")
    done = phone.client.post(f"/my/apply/{target}", data={
        "name": "王小明", "mobile": "13812345678", "category": "群众代表（家长）", "street": "黄村镇",
        "reason": "", "consent": "y"}, follow_redirects=True).get_data(as_text=True)
    with site.app_context():
        number = db.session.scalar(select(Application.number).where(Application.event_id == target))
    assert re.fullmatch(r"\d{8}", number)
    assert done.count(f"报名编号：{number}") == 2  # the success notice and the application's card
