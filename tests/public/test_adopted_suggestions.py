"""Adoption progress where citizens look: 我的建议 in the chat and on the page, and the public 采纳建议落实情况."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import OutboxMessage, db
from scheduler import worker
from services.calendar import clock
from services.participation import progress, suggestions
from tests.conftest import WeChat
from tests.public.test_citizen_pages import NOW, Phone, emulator, event_id, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres
TEXT = "建议在黄村镇政务服务中心增设母婴室，我家孩子刚满一岁"
REPLY = "李女士您好，感谢您的建议，我们将在二层增设母婴室。"


def _suggestion(app, openid: str, adoption: str, text: str = TEXT) -> str:
    """A suggestion about OD-01 answered with ``adoption``; its tracking number."""
    with app.app_context():
        suggestion = suggestions.create(db.session, openid, text, clock.now(), event_id=event_id(app, "OD-01"))
        suggestions.reply(db.session, suggestion.id, None, adoption, REPLY, "已纳入年度便民工程", clock.now())
        db.session.commit()
        return suggestion.tracking_no, suggestion.id


def _update(app, suggestion_id: int, stage: str, note: str, days_later: int) -> None:
    with app.app_context(), clock.frozen(NOW + dt.timedelta(days=days_later)):
        progress.add(db.session, suggestion_id, None, stage, note, None, clock.now())
        db.session.commit()


def test_progress_shows_in_my_suggestions_in_the_chat_and_on_the_page(site, emulator):  # noqa: F811
    tracking_no, suggestion_id = _suggestion(site, "o_mother", "adopted")
    _update(site, suggestion_id, "studying", "已完成选址，正在设计。", 1)
    _update(site, suggestion_id, "implementing", "母婴室装修中。", 3)
    wechat = WeChat(site.test_client())
    listing = wechat.text("o_mother", "我的建议")
    assert tracking_no in listing and "已答复（采纳）·实施中" in listing
    detail = wechat.text("o_mother", "1")
    if "落实进展" not in detail:  # a long detail continues on the next page
        detail += wechat.text("o_mother", "更多")
    assert "落实进展：\n2026年11月24日 研究中：已完成选址，正在设计。\n2026年11月26日 实施中：母婴室装修中。" in detail
    page = Phone(site, emulator, "o_mother").open("/my/suggestions").get_data(as_text=True)
    assert "已完成选址，正在设计。" in page and "母婴室装修中。" in page and "实施中" in page
    assert "查看采纳建议落实情况" in page
    emulator.follower("o_mother")
    with site.app_context():
        ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.purpose == "adoption_progress")))
    worker.deliver_now(site, ids, threads=2)
    cards = emulator.messages("o_mother")
    assert len(cards) == 2 and {c["kind"] for c in cards} == {"template"}


def test_an_adoption_without_updates_says_so(site, emulator):  # noqa: F811
    _suggestion(site, "o_waiting", "partly")
    wechat = WeChat(site.test_client())
    wechat.text("o_waiting", "我的建议")
    detail = wechat.text("o_waiting", "1")
    if "落实进展" not in detail:
        detail += wechat.text("o_waiting", "更多")
    assert "落实进展：承办单位正在推进" in detail


def test_the_public_page_lists_adoptions_and_their_progress_without_personal_data(site):  # noqa: F811
    adopted_no, adopted_id = _suggestion(site, "o_public_a", "adopted")
    partly_no, _ = _suggestion(site, "o_public_b", "partly", "建议延长周六办事大厅的开放时间到下午五点")
    refused_no, _ = _suggestion(site, "o_public_c", "not_adopted", "建议把办事大厅搬到我家小区旁边")
    _update(site, adopted_id, "done", "二层母婴室已投入使用。", 2)
    page = site.test_client().get("/suggestions/adopted").get_data(as_text=True)
    assert "采纳建议落实情况" in page
    assert adopted_no in page and "二层母婴室已投入使用。" in page and "已完成" in page
    assert partly_no in page and "部分采纳" in page and "落实进展待报送" in page
    assert refused_no not in page
    for personal in (TEXT, REPLY, "李女士", "o_public_a", "延长周六", "我家"):
        assert personal not in page
