"""Entry-pass codes cannot be guessed in bulk (issue 25, item 4).

Before: ``/pass/<code>`` answered 200 of 200 random guesses in a row from one
address. Now 20 codes that open nothing in a minute, then a polite page (429);
passes that do open are never counted, so the attendees of one event behind the
venue's Wi-Fi all get in. Real HTTP through Flask's test client and real Redis.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app import demo
from models import Event, db
from services.participation.checkin_codes import CHECKIN_ALPHABET
from tests.public.test_pages import NOW, _selected_with_code

pytestmark = pytest.mark.postgres
GUESSER, VENUE = "203.0.113.9", "198.51.100.44"


@pytest.fixture
def code(app, fixed_now) -> str:
    with app.app_context():
        demo.load(db.session, NOW)
        event_id = db.session.scalar(select(Event.id).where(Event.code == "OD-03"))
    _selected_with_code(app, event_id, "7KQ3MX")
    return "7KQ3MX"


def _open(client, code: str, address: str):
    return client.get(f"/pass/{code}", environ_base={"REMOTE_ADDR": address})


def _guess() -> str:
    return "".join(random.choice(CHECKIN_ALPHABET) for _ in range(6))


def test_guesses_from_one_address_get_a_polite_429_after_20_a_minute(app, client, code):
    statuses = [_open(client, _guess(), GUESSER).status_code for _ in range(30)]
    assert statuses == [404] * 20 + [429] * 10
    refused = _open(client, _guess(), GUESSER)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "查询过于频繁" in page and "请一分钟后再试" in page
    assert "<svg" not in _open(client, code, GUESSER).get_data(as_text=True)  # the guesser's address waits
    # Everyone else is unaffected: a guess elsewhere is still a 404, a real pass still opens.
    assert _open(client, _guess(), "192.0.2.1").status_code == 404
    assert _open(client, code, VENUE).status_code == 200


def test_passes_that_open_are_never_counted(app, client, code):
    # Thirty attendees at the door behind one address: every pass opens.
    assert [_open(client, code, VENUE).status_code for _ in range(30)] == [200] * 30
    assert _open(client, _guess(), VENUE).status_code == 404


def test_the_throttle_fails_open_without_redis(tmp_path, database_url, fixed_now):
    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock", DATABASE_URL=database_url)
    client = app.test_client()
    assert [_open(client, _guess(), GUESSER).status_code for _ in range(22)] == [404] * 22
