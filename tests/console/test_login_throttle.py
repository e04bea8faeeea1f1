"""Login throttling behind a load balancer (issue 17, item 3).

The attacks: 24 concurrent wrong passwords (before: 11 password checks instead of
5), and five wrong passwords from anyone locking every staff member out because
all requests came from the load balancer's address.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from services.admin import staff
from services.calendar import clock
from tests.conftest import make_test_app

ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
BALANCER = "10.0.0.2"


@pytest.fixture
def proxied_app(tmp_path, redis_server, redis_client):
    """The app behind one trusted proxy, with two accounts."""
    app = make_test_app(tmp_path, redis_server, TRUSTED_PROXY_HOPS=1)
    from models import db

    with app.app_context():
        staff.create_user(db.session, "coord", "coordinator", "Lantern-river-42", None, "协调员", clock.now())
        staff.create_user(db.session, "auditor", "auditor", "Quiet-harbour-77", None, "审计", clock.now())
    return app


def _login(app, username: str, password: str, client_address: str):
    return app.test_client().post(
        "/console/login", data={"username": username, "password": password},
        headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": BALANCER},
    )


def _count_checks(monkeypatch) -> list[int]:
    checks: list[int] = []
    lock = threading.Lock()
    real = staff.verify_password

    def counting(user, password):
        with lock:
            checks.append(1)
        return real(user, password)

    monkeypatch.setattr(staff, "verify_password", counting)
    return checks


def test_24_concurrent_wrong_passwords_get_exactly_five_checks(proxied_app, monkeypatch):
    checks = _count_checks(monkeypatch)
    barrier = threading.Barrier(24)
    statuses: list[int] = []

    def attempt():
        barrier.wait()
        statuses.append(_login(proxied_app, "coord", "wrong-guess", ATTACKER).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == 5
    assert sorted(statuses) == [200] * 5 + [429] * 19


def test_an_attacker_behind_the_balancer_locks_out_neither_the_account_nor_other_staff(proxied_app):
    for _ in range(6):
        _login(proxied_app, "coord", "wrong-guess", ATTACKER)
    assert _login(proxied_app, "coord", "Lantern-river-42", ATTACKER).status_code == 429
    # Same balancer address, other clients: the account owner from the office and another account.
    assert _login(proxied_app, "coord", "Lantern-river-42", OFFICE).status_code == 302
    assert _login(proxied_app, "auditor", "Quiet-harbour-77", ATTACKER).status_code == 302


def test_a_forged_forwarded_address_does_not_reset_the_count(proxied_app):
    # The balancer appends the real address; only the last hop is trusted.
    for n in range(6):
        _login(proxied_app, "coord", "wrong-guess", f"192.0.2.{n}, {ATTACKER}")
    assert _login(proxied_app, "coord", "Lantern-river-42", f"192.0.2.99, {ATTACKER}").status_code == 429


def test_attempts_spread_over_many_addresses_meet_the_slower_backstop(proxied_app):
    statuses = [_login(proxied_app, "coord", "wrong-guess", f"203.0.113.{n}").status_code for n in range(12)]
    assert statuses == [200] * 10 + [429] * 2


def test_failed_logins_are_written_to_the_audit_log(proxied_app):
    from models import AuditLog, StaffUser, db

    _login(proxied_app, "coord", "wrong-guess", ATTACKER)
    _login(proxied_app, "nobody", "wrong-guess", ATTACKER)
    with proxied_app.app_context():
        coord_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "coord"))
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()
        assert [(row.object_id, row.ip) for row in rows] == [(str(coord_id), ATTACKER), ("", ATTACKER)]
        assert all("wrong-guess" not in (row.note or "") for row in rows)


def test_a_successful_login_clears_the_count_of_its_address(proxied_app):
    # A browser without cookies (a private window, a shared kiosk) logging in again and again, with a typo between.
    for _ in range(4):
        assert _login(proxied_app, "coord", "wrong-guess", OFFICE).status_code == 200
        assert _login(proxied_app, "coord", "Lantern-river-42", OFFICE).status_code == 302
