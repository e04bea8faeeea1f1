"""Concurrency on the production database: seats are never given twice, retries never apply twice.

Marked ``postgres``: `make test` runs these again on a real PostgreSQL server.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from app import demo
from models import Application, ApplicationStatus, Citizen, Event
from services.calendar import clock
from services.participation import applications, waitlist
from services.participation.waitlist import NoOffer
from tests import wechat_helpers as wx
from tests.conftest import WeChat, make_test_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WIDE_POOL = {"pool_size": 60, "max_overflow": 160, "pool_timeout": 60}


@pytest.fixture
def wide_app(tmp_path, redis_server, redis_client, database_url):
    """An app whose connection pool lets 200 threads in at once (SQLite ignores the pool options)."""
    options = {"connect_args": {"timeout": 30, "check_same_thread": False}} if database_url.startswith("sqlite") else WIDE_POOL
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=database_url, SQLALCHEMY_ENGINE_OPTIONS=options)
    yield app
    from models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _run_threads(targets) -> None:
    start = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            start.wait()
            target()
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    [t.start() for t in threads]
    [t.join(120) for t in threads]


def test_200_identical_webhook_posts_create_one_application(wide_app, fixed_now):
    from models import db

    with wide_app.app_context():
        demo.load(db.session, fixed_now)
    wechat = WeChat(wide_app.test_client())
    steps = ["报名", "1", "李四", "13912345678", "群众代表（企业）", "清源街道", "跳过", "同意"]
    for text in steps:
        wechat.text("o_storm", text)
    confirm = wx.message_xml("o_storm", "text", Content="确认", MsgId=wx.next_msgid())
    replies: list[str] = []
    lock = threading.Lock()

    def post():
        response = WeChat(wide_app.test_client()).post_xml(confirm)
        body = wechat.reply_of(response).get("Content", "") if response.status_code == 200 else f"HTTP {response.status_code}"
        with lock:
            replies.append(body)

    _run_threads([post] * 200)
    with wide_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1
    assert len(replies) == 200
    assert not [r for r in replies if r.startswith("HTTP")]
    # Every copy that got an answer got the same one (WeChat's retries are answered from the cache).
    answered = {r for r in replies if r}
    assert len(answered) == 1 and answered.pop().startswith("报名成功")


def _full_event(session, now, seats: int, waiting: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    demo.load(session, now)
    event = session.scalars(select(Event).where(Event.seats > 0).order_by(Event.starts_at)).first()
    event.seats = seats
    selected, waitlisted = [], []
    for i in range(seats + waiting):
        citizen = Citizen(openid=f"o_seat_{i}", created_at=now, following=True)
        session.add(citizen)
        session.flush()
        is_selected = i < seats
        application = Application(
            event_id=event.id, citizen_id=citizen.id, name=f"市民{i}", mobile="13800000000", category="其他群众",
            street="清源街道", created_at=now,
            status=ApplicationStatus.SELECTED if is_selected else ApplicationStatus.WAITLISTED,
            waitlist_rank=None if is_selected else i - seats + 1, checkin_code=f"S{i:05d}" if is_selected else None,
        )
        session.add(application)
        session.flush()
        (selected if is_selected else waitlisted).append((citizen.openid, application.id))
    session.commit()
    return event.id, selected, waitlisted


def test_concurrent_cancellations_and_acceptances_never_give_a_seat_twice(wide_app, fixed_now):
    from models import db

    seats = 100
    with wide_app.app_context():
        event_id, selected, waitlisted = _full_event(db.session, clock.now(), seats=seats, waiting=100)
    errors: list[BaseException] = []

    def cancel(openid, application_id):
        def run():
            with wide_app.app_context():
                try:
                    applications.cancel(db.session, openid, application_id, clock.now())
                    db.session.commit()
                except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                    db.session.rollback()
                    errors.append(exc)
        return run

    def accept(openid, application_id):
        def run():
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with wide_app.app_context():
                    try:
                        waitlist.accept_offer(db.session, openid, application_id, clock.now())
                        db.session.commit()
                        return
                    except NoOffer:
                        db.session.rollback()
                time.sleep(0.2)
        return run

    _run_threads([cancel(*s) for s in selected] + [accept(*w) for w in waitlisted])
    assert errors == []
    with wide_app.app_context():
        statuses = dict(db.session.execute(
            select(Application.status, func.count()).where(Application.event_id == event_id).group_by(Application.status)
        ).all())
        offered_open = db.session.scalar(select(func.count(Application.id)).where(
            Application.event_id == event_id, Application.status == ApplicationStatus.WAITLISTED,
            Application.offer_expires_at.is_not(None)))
        codes = db.session.scalars(select(Application.checkin_code).where(
            Application.event_id == event_id, Application.status == ApplicationStatus.SELECTED)).all()
    holding = statuses.get(ApplicationStatus.SELECTED, 0) + offered_open
    assert holding <= seats, statuses
    assert offered_open == 0, f"{offered_open} offer(s) still open: an acceptor gave up waiting"
    assert statuses.get(ApplicationStatus.CANCELLED) == seats
    assert statuses.get(ApplicationStatus.SELECTED) == seats  # every freed seat went to one waiting person
    assert len(set(codes)) == len(codes)
