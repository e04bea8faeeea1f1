"""Who may open what (events, applications, selection, check-in, audit), and CSRF on every form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import make_test_app
from tests.console.conftest import USERS

# (method, path template) of every page and action of part 1; {e} is unit A's event.
EVENT_PAGES = [
    ("GET", "/console/events/{e}"), ("GET", "/console/events/{e}/applications"),
    ("GET", "/console/events/{e}/selection"), ("GET", "/console/events/{e}/selection/status.json"),
]
EVENT_WRITES = [
    ("GET", "/console/events/{e}/edit"), ("POST", "/console/events/{e}/edit"),
    ("GET", "/console/events/{e}/publish"), ("POST", "/console/events/{e}/publish"),
    ("GET", "/console/events/{e}/cancel"), ("POST", "/console/events/{e}/cancel"),
    ("GET", "/console/events/{e}/postpone"), ("POST", "/console/events/{e}/postpone"),
    ("GET", "/console/events/{e}/applications.xlsx"), ("POST", "/console/events/{e}/invitations"),
    ("GET", "/console/events/{e}/checkin"), ("POST", "/console/events/{e}/checkin.json"),
    ("GET", "/console/events/{e}/checkin/count.json"), ("POST", "/console/events/{e}/checkin/codes"),
    ("POST", "/console/events/{e}/selection/draw"), ("POST", "/console/events/{e}/selection/confirm"),
]


def _call(client, method: str, path: str):
    return client.get(path) if method == "GET" else client.post(path, data={}, json=None)


def test_each_role_can_log_in_and_see_the_dashboard(login_as):
    for role in ("coordinator", "unit_a", "unit_b", "auditor"):
        client = login_as(role)
        assert client.get("/console/").status_code == 200


def test_anonymous_visitors_are_sent_to_login(client, console_data):
    for method, path in [*EVENT_PAGES, *EVENT_WRITES, ("GET", "/console/events"), ("GET", "/console/audit")]:
        response = _call(client, method, path.format(e=console_data.event_a_id))
        assert response.status_code in (302, 401), path
        assert response.status_code == 401 or "/console/login" in response.headers["Location"]


def test_unit_staff_get_403_on_another_units_event(login_as, console_data):
    client = login_as("unit_b")
    for method, path in [*EVENT_PAGES, *EVENT_WRITES]:
        assert _call(client, method, path.format(e=console_data.event_a_id)).status_code == 403, (method, path)


def test_unit_staff_open_their_own_event_pages(login_as, console_data):
    client = login_as("unit_a")
    for method, path in [*EVENT_PAGES, *[(m, p) for m, p in EVENT_WRITES if m == "GET"]]:
        assert _call(client, method, path.format(e=console_data.event_a_id)).status_code == 200, path


def test_auditors_read_but_cannot_write(login_as, console_data):
    client = login_as("auditor")
    for method, path in EVENT_PAGES:
        assert _call(client, method, path.format(e=console_data.event_a_id)).status_code == 200, path
    for method, path in [*EVENT_WRITES, ("GET", "/console/events/new"), ("POST", "/console/events/new")]:
        assert _call(client, method, path.format(e=console_data.event_a_id)).status_code == 403, (method, path)
    page = client.get(f"/console/events/{console_data.event_a_id}").get_data(as_text=True)
    assert "编辑" not in page and "取消活动" not in page


@pytest.mark.parametrize("role, status", [("auditor", 200), ("coordinator", 200), ("unit_a", 403)])
def test_audit_log_is_for_auditors_and_coordinators(login_as, role, status):
    assert login_as(role).get("/console/audit").status_code == status


def test_audit_log_filters(app, login_as, console_data):
    coordinator = login_as("coordinator")
    coordinator.post(f"/console/events/{console_data.event_b_id}/cancel", data={"reason": "测试取消"})
    client = login_as("auditor")
    page = client.get("/console/audit?action=event.cancel").get_data(as_text=True)
    assert "取消活动" in page and "测试取消" in page and "共 1 条" in page
    page = client.get("/console/audit?actor=unit_b").get_data(as_text=True)
    assert "没有符合条件的记录" in page
    page = client.get("/console/audit?date_from=2026-03-02&date_to=2026-03-02&actor=coord").get_data(as_text=True)
    assert "共 2 条" in page  # the coordinator's login and the cancellation
    page = client.get("/console/audit?date_from=2026-03-03").get_data(as_text=True)
    assert "没有符合条件的记录" in page


def test_a_post_without_csrf_token_is_refused(tmp_path, redis_server, redis_client, console_now):
    """With CSRF on (as in production), a form post without the token is refused and changes nothing."""
    from app import demo
    from models import Event, db
    from services.admin import staff
    from services.calendar import clock

    app = make_test_app(tmp_path, redis_server, WTF_CSRF_ENABLED=True)
    with app.app_context():
        demo.load(db.session, clock.now())
        username, password, unit = USERS["unit_a"]
        staff.create_user(db.session, username, "unit", password, unit, "", clock.now())
        before = db.session.scalar(select(func.count(Event.id)))
    client = app.test_client()
    assert client.post("/console/login", data={"username": username, "password": password}).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/console/login").get_data(as_text=True))
    response = client.post("/console/login", data={"username": username, "password": password, "csrf_token": token[1]})
    assert response.status_code == 302
    data = {"title": "无令牌提交", "kind": "open_day", "mode": "offline", "starts_at": "2026-03-20T09:00",
            "duration_minutes": "60", "place": "会议室", "seats": "10"}
    assert client.post("/console/events/new", data=data).status_code == 400
    page = client.get("/console/events/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    assert client.post("/console/events/new", data={**data, "csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == before + 1
        db.session.remove()
        db.engine.dispose()


def test_audit_values_read_as_beijing_time_and_name_empty_values():
    from console.audit import audit_values

    line = audit_values({"starts_at": "2026-03-20T06:00:00+00:00", "place": "", "seats": 20, "topic_id": None})
    assert line == "starts_at: 2026-03-20 14:00；place: （空）；seats: 20；topic_id: （无）"


def test_a_form_token_older_than_the_console_idle_lifetime_is_refused(tmp_path, redis_server, redis_client):
    """CSRF tokens expire with the session (CONSOLE_IDLE_SECONDS), not never."""
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from app import demo
    from models import db
    from services.admin import staff
    from services.calendar import clock

    app = make_test_app(tmp_path, redis_server, WTF_CSRF_ENABLED=True)
    idle = app.extensions["settings"].CONSOLE_IDLE_SECONDS
    with app.app_context():
        demo.load(db.session, clock.now())
        username, password, unit = USERS["unit_a"]
        staff.create_user(db.session, username, "unit", password, unit, "", clock.now())
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    secret = app.config["SECRET_KEY"]
    raw = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(fresh)

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - idle - 60  # the page was opened longer ago than a session may stay idle

    stale = URLSafeTimedSerializer(secret, salt="wtf-csrf-token", signer=Earlier).dumps(raw)
    form = {"username": username, "password": password}
    assert client.post("/console/login", data={**form, "csrf_token": stale}).status_code == 400
    assert client.post("/console/login", data={**form, "csrf_token": fresh}).status_code == 302
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
