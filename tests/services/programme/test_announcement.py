"""services.programme.announcement: one announcement for the chat, the event page and the staff preview."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import demo
from models import Event, EventMode, EventStatus, db
from services.calendar import clock
from services.programme import announcement
from tests.conftest import WeChat
from tests.handlers.conftest import Person

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
BASE = "http://127.0.0.1:8080"


@pytest.fixture
def ids(app, fixed_now):
    with app.app_context():
        demo.load(db.session, NOW)
        return dict(db.session.execute(select(Event.code, Event.id)).all())


def _chat_detail(person: Person, title: str) -> str:
    """Open the event titled ``title`` from the 活动 list and read every page of its detail."""
    listing = person.say("活动")
    while title not in listing:
        listing = person.say("更多")
    number = re.search(rf"(\d+)\. [^\n]*\n{re.escape(title)}", listing).group(1)
    pages = [person.say(number)]
    while "回复【更多】继续阅读" in pages[-1]:
        pages.append(person.say("更多"))
    return "\n".join(pages)


def test_the_chat_and_the_event_page_read_the_same_announcement(app, client, ids):
    with app.app_context():
        event = db.session.get(Event, ids["OD-03"])
        composed = announcement.compose(event, NOW, BASE)
        title = event.title
    chat = _chat_detail(Person(WeChat(client), "o_reader"), title)
    for paragraph in composed.paragraphs():
        assert paragraph in chat, paragraph
    page = client.get(f"/events/{ids['OD-03']}").get_data(as_text=True)
    for field in (composed.time, composed.duration, composed.place, composed.hosts, composed.window_text,
                  composed.deadline, composed.selection_day, composed.notice_day, composed.online_how):
        assert field and field in page, field
    assert composed.window_text.startswith("报名中（")


def test_a_draft_is_previewed_as_it_will_read_once_published(app, ids):
    with app.app_context():
        event = db.session.get(Event, ids["OD-03"])
        published = announcement.compose(event, NOW, BASE)
        event.status = EventStatus.DRAFT
        assert announcement.compose(event, NOW, BASE).window_text == "尚未发布"
        preview = announcement.compose(event, NOW, BASE, as_published=True)
        assert preview.paragraphs() == published.paragraphs()


def test_a_cancelled_event_leads_with_the_reason(app, ids):
    with app.app_context():
        event = db.session.get(Event, ids["OD-03"])
        event.status, event.cancel_reason = EventStatus.CANCELLED, "场地维修，改期另行通知。"
        paragraphs = announcement.compose(event, NOW, BASE).paragraphs()
        assert paragraphs[0] == "【本场活动已取消】场地维修，改期另行通知。"
        event.cancel_reason = ""
        assert announcement.compose(event, NOW, BASE).paragraphs()[0] == "【本场活动已取消】" + announcement.NO_REASON_GIVEN


def test_an_online_only_event_without_a_place_says_it_is_online(app, client, ids):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.mode == EventMode.ONLINE).order_by(Event.id).limit(1))
        event.place = ""
        db.session.commit()
        event_id = event.id
        paragraphs = announcement.compose(event, NOW, BASE).paragraphs()
    assert "地点：线上直播" in paragraphs[0]
    assert "地点待定" not in "\n".join(paragraphs)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "线上直播" in page and "地点待定" not in page
