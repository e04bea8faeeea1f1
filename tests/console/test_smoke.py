"""The console skeleton: login, throttling, roles."""

from __future__ import annotations

from app import demo
from services.admin import staff
from services.calendar import clock


def _users(app):
    from models import db

    with app.app_context():
        demo.load(db.session, clock.now())
        staff.create_user(db.session, "coord", "coordinator", "coord-pass-1", None, "协调员", clock.now())
        staff.create_user(db.session, "unit_a", "unit", "unit-pass-1", "采育镇", "采育镇工作人员", clock.now())


def login(client, username, password):
    return client.post("/console/login", data={"username": username, "password": password}, follow_redirects=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_login_shows_the_dashboard_with_role_and_unit(app, client):
    _users(app)
    page = login(client, "unit_a", "unit-pass-1").get_data(as_text=True)
    assert "工作台" in page and "单位工作人员·采育镇" in page


def test_wrong_password_keeps_the_username_and_says_why(app, client):
    _users(app)
    page = login(client, "coord", "nope").get_data(as_text=True)
    assert "账号或密码不正确" in page and 'value="coord"' in page


def test_login_is_throttled_after_five_failures(app, client):
    _users(app)
    for _ in range(5):
        login(client, "coord", "wrong")
    response = login(client, "coord", "coord-pass-1")
    assert response.status_code == 429 and "15 分钟" in response.get_data(as_text=True)
