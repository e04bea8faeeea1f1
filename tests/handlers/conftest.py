"""Fixtures for scripted conversations: the demo programme and citizens who talk to the webhook."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from tests import wechat_helpers as wx

WECHAT_LIMIT = 2048
_create_times = itertools.count(1_800_000_000)


@pytest.fixture
def programme(app, fixed_now):
    """The 2024 programme loaded as demo data, dated from the fixed Monday; event ids by code."""
    from app import demo
    from models import Event, db

    with app.app_context():
        demo.load(db.session, fixed_now)
        return {code: event_id for code, event_id in db.session.execute(select(Event.code, Event.id))}


class Person:
    """A citizen talking to the account through the real webhook; remembers the last message for retries."""

    def __init__(self, wechat, openid: str) -> None:
        self.wechat = wechat
        self.openid = openid
        self.last_xml = ""
        self.replies: list[str] = []

    def _post(self, xml: str) -> str:
        self.last_xml = xml
        response = self.wechat.post_xml(xml)
        assert response.status_code == 200, response.get_data(as_text=True)
        content = self.wechat.reply_of(response).get("Content", "")
        assert len(content.encode()) < WECHAT_LIMIT, content
        self.replies.append(content)
        return content

    def say(self, text: str) -> str:
        """Type ``text``; the reply text."""
        return self._post(wx.message_xml(self.openid, "text", Content=text, MsgId=wx.next_msgid()))

    def click(self, key: str) -> str:
        """Tap a menu button."""
        return self._post(wx.message_xml(self.openid, "event", create_time=next(_create_times),
                                         Event="CLICK", EventKey=key))

    def send(self, msg_type: str, **fields) -> str:
        """Any other message (image, voice...)."""
        return self._post(wx.message_xml(self.openid, msg_type, MsgId=wx.next_msgid(), **fields))

    def event(self, name: str, **fields) -> str:
        """An event (subscribe, unsubscribe...)."""
        return self._post(wx.message_xml(self.openid, "event", create_time=next(_create_times), Event=name, **fields))

    def retry(self) -> str:
        """WeChat posts the last message again (same MsgId)."""
        return self._post(self.last_xml)


@pytest.fixture
def citizen(wechat):
    """A citizen called o_citizen_a."""
    return Person(wechat, "o_citizen_a")


@pytest.fixture
def make_person(wechat):
    """Make more citizens: ``make_person("o_b")``."""
    return lambda openid: Person(wechat, openid)


@pytest.fixture
def db_ctx(app):
    """Run database checks in an app context: ``with db_ctx() as session: ...``."""
    import contextlib

    from models import db

    @contextlib.contextmanager
    def open_session():
        with app.app_context():
            yield db.session

    return open_session
