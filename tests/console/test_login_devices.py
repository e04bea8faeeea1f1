"""Nobody is locked out by knowing a username (issue 25, item 3).

The attack: thirty wrong passwords from thirty addresses within a minute, and the
owner's right password from their usual browser was refused (429) for a minute,
again and again. Now the browser the owner logged in from carries a device cookie
(OWASP's "device cookies") and is counted on its own limit; unknown browsers stay
throttled per account and per address. Real HTTP through Flask's test client, real
Redis; each address is the request's ``REMOTE_ADDR``.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import structlog
from sqlalchemy import select

from console import login_devices
from services.admin import staff
from services.calendar import clock
from tests.conftest import make_test_app

OWNER_PASSWORD = "Lantern-river-42"
OFFICE = "198.51.100.20"


@pytest.fixture
def accounts(app):
    """Two accounts: the one under attack and a colleague."""
    from models import db

    with app.app_context():
        staff.create_user(db.session, "coord", "coordinator", OWNER_PASSWORD, None, "协调员", clock.now())
        staff.create_user(db.session, "auditor", "auditor", "Quiet-harbour-77", None, "审计", clock.now())
    return app


def _post(client, username: str, password: str, address: str):
    return client.post("/console/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _attack(app, rounds: int = 30, first: int = 0) -> list[int]:
    """``rounds`` wrong passwords for ``coord``, each from a new address and a browser without cookies."""
    return [_post(app.test_client(), "coord", "wrong-guess", f"203.0.113.{first + n}").status_code
            for n in range(rounds)]


def _owner_browser(app):
    """The owner's usual browser: it logged in once before (and logged out), so it holds a device cookie."""
    browser = app.test_client()
    assert _post(browser, "coord", OWNER_PASSWORD, OFFICE).status_code == 302
    assert browser.get_cookie(login_devices.cookie_name("coord"), path="/console/login") is not None
    browser.post("/console/logout")
    return browser


def test_the_owner_logs_in_from_their_browser_during_a_30_address_attack(accounts):
    browser = _owner_browser(accounts)
    for round_number in range(2):  # again and again: every run of guesses, the owner still gets in
        statuses = _attack(accounts, first=round_number * 30)
        assert statuses.count(429) >= 20  # most guesses are refused (ten a minute are checked, for every address)
        response = _post(browser, "coord", OWNER_PASSWORD, OFFICE)
        assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
        assert "工作台" in browser.get("/console/").get_data(as_text=True)
        browser.post("/console/logout")


def test_an_unknown_browser_stays_throttled_during_the_attack(accounts):
    _attack(accounts)
    response = _post(accounts.test_client(), "coord", OWNER_PASSWORD, OFFICE)
    assert response.status_code == 429 and "1 分钟后再试" in response.get_data(as_text=True)


def test_one_address_that_used_its_five_attempts_does_not_use_up_the_account(accounts):
    attacker = [_post(accounts.test_client(), "coord", "wrong-guess", "203.0.113.7").status_code for _ in range(20)]
    assert attacker == [200] * 5 + [429] * 15
    # The account's shared ten a minute counted only the five attempts that were checked.
    assert _attack(accounts, rounds=6, first=100) == [200] * 5 + [429]


def test_a_device_cookie_is_invalidated_after_five_wrong_passwords(accounts):
    browser = _owner_browser(accounts)
    stolen = browser.get_cookie(login_devices.cookie_name("coord"), path="/console/login").value
    statuses = [_post(browser, "coord", "wrong-guess", OFFICE).status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert browser.get_cookie(login_devices.cookie_name("coord"), path="/console/login") is None
    _attack(accounts)
    # Neither the browser nor a copy of its old cookie gets past the account's limit any more.
    assert _post(browser, "coord", OWNER_PASSWORD, OFFICE).status_code == 429
    copy = accounts.test_client()
    copy.set_cookie(login_devices.cookie_name("coord"), stolen, path="/console/login")
    assert _post(copy, "coord", OWNER_PASSWORD, "192.0.2.50").status_code == 429


def test_a_device_cookie_counts_for_its_own_account_only(accounts):
    browser = _owner_browser(accounts)
    value = browser.get_cookie(login_devices.cookie_name("coord"), path="/console/login").value
    browser.set_cookie(login_devices.cookie_name("auditor"), value, path="/console/login")
    for n in range(10):
        _post(accounts.test_client(), "auditor", "wrong-guess", f"203.0.113.{n}")
    assert _post(browser, "auditor", "Quiet-harbour-77", OFFICE).status_code == 429
    forged = accounts.test_client()
    forged.set_cookie(login_devices.cookie_name("coord"), value[:-4] + "AAAA", path="/console/login")
    _attack(accounts, rounds=10)
    assert _post(forged, "coord", OWNER_PASSWORD, OFFICE).status_code == 429


def test_a_known_device_has_its_own_small_limit(accounts, monkeypatch):
    browser = _owner_browser(accounts)
    name = login_devices.cookie_name("coord")
    cookie = browser.get_cookie(name, path="/console/login").value
    checks: list[int] = []
    real = staff.verify_password
    monkeypatch.setattr(staff, "verify_password", lambda user, password: checks.append(1) or real(user, password))
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def attempt() -> None:
        tab = accounts.test_client()
        tab.set_cookie(name, cookie, path="/console/login")
        barrier.wait()
        statuses.append(_post(tab, "coord", "wrong-guess", OFFICE).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == 5 and sorted(statuses) == [200] * 5 + [429] * 7
    # Those five failures invalidated the cookie: the browser is unknown again, counted per address (five).
    assert [_post(browser, "coord", "wrong-guess", OFFICE).status_code for _ in range(6)] == [200] * 5 + [429]


def test_the_device_cookie_is_http_only_strict_long_lived_and_secure_in_production(tmp_path, redis_server,
                                                                                   redis_client):
    app = make_test_app(tmp_path, redis_server, SESSION_COOKIE_SECURE=True)
    from models import db

    with app.app_context():
        staff.create_user(db.session, "coord", "coordinator", OWNER_PASSWORD, None, "协调员", clock.now())
    response = _post(app.test_client(), "coord", OWNER_PASSWORD, OFFICE)
    header = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith(login_devices.cookie_name("coord")))
    assert "HttpOnly" in header and "Secure" in header and "SameSite=Strict" in header
    assert "Path=/console/login" in header
    assert f"Max-Age={int(dt.timedelta(days=180).total_seconds())}" in header
    assert "coord" not in header.split(";")[0].split("=")[0]  # the cookie's name does not spell the username


def test_a_wrong_username_costs_the_same_password_check_as_a_wrong_password(accounts, monkeypatch):
    from models import StaffUser, db

    checked: list[str] = []
    real = staff.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(staff, "check_password_hash", counting)
    with accounts.app_context():
        coord_hash = db.session.scalar(select(StaffUser.password_hash).where(StaffUser.username == "coord"))
    client = accounts.test_client()
    assert _post(client, "nobody", "wrong-guess", OFFICE).status_code == 200
    assert checked == [staff.DUMMY_HASH]
    assert _post(client, "coord", "wrong-guess", OFFICE).status_code == 200
    assert checked == [staff.DUMMY_HASH, coord_hash]
    assert staff.DUMMY_HASH.split("$")[0] == coord_hash.split("$")[0]  # the same scrypt parameters: the same work


def test_a_deactivated_account_is_refused_after_the_same_check(accounts, monkeypatch):
    from models import StaffUser, db

    with accounts.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "auditor"))
        user.active = False
        db.session.commit()
    checked: list[str] = []
    real = staff.check_password_hash
    monkeypatch.setattr(staff, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    response = _post(accounts.test_client(), "auditor", "Quiet-harbour-77", OFFICE)
    assert response.status_code == 200 and "账号或密码不正确" in response.get_data(as_text=True)
    assert len(checked) == 1


def test_with_redis_down_the_throttles_fail_open_with_a_warning(tmp_path, database_url):
    app = make_test_app(tmp_path, "unix:///nonexistent/redis.sock", DATABASE_URL=database_url)
    from models import db

    with app.app_context():
        staff.create_user(db.session, "coord", "coordinator", OWNER_PASSWORD, None, "协调员", clock.now())
    client = app.test_client()
    with structlog.testing.capture_logs() as logs:
        assert [_post(client, "coord", "wrong-guess", OFFICE).status_code for _ in range(7)] == [200] * 7
    assert _post(client, "coord", OWNER_PASSWORD, OFFICE).status_code == 302
    assert any(entry["event"] == "rate_limit.storage_unavailable" and entry["log_level"] == "warning"
               for entry in logs)
