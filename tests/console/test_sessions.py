"""Console sessions end on logout, new password and deactivation, and when idle (issue 17, item 2).

The attack: a session cookie saved before logout (a shared computer, a proxy log)
replayed afterwards to open a unit's applicant list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from services.calendar import clock


def _applicants_url(console_data) -> str:
    return f"/console/events/{console_data.event_a_id}/applications"


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_a_cookie_saved_before_logout_is_refused_afterwards(app, login_as, console_data):
    staff_client = login_as("unit_a")
    url = _applicants_url(console_data)
    assert staff_client.get(url).status_code == 200
    saved = _saved_cookie(staff_client)
    assert _with_cookie(app, saved).get(url).status_code == 200  # the copy works while logged in
    assert staff_client.post("/console/logout").status_code == 302
    response = _with_cookie(app, saved).get(url)
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_logout_ends_every_session_of_the_account(app, login_as, console_data):
    office, home = login_as("unit_a"), login_as("unit_a")
    office.post("/console/logout")
    assert home.get(_applicants_url(console_data)).status_code == 302
    other = login_as("coordinator")  # another account keeps its session
    assert other.get(_applicants_url(console_data)).status_code == 200
    again = login_as("unit_a")  # and the account can log in again
    assert again.get(_applicants_url(console_data)).status_code == 200


def test_a_new_password_and_deactivation_end_sessions(app, login_as, console_data):
    from models import StaffUser, db
    from services.admin import staff

    unit_a, unit_b = login_as("unit_a"), login_as("unit_b")
    with app.app_context():
        user_a = db.session.scalar(select(StaffUser).where(StaffUser.username == "unit_a"))
        staff.change_password(db.session, user_a, "Qf7#tundra-lantern", clock.now())
        user_b = db.session.scalar(select(StaffUser).where(StaffUser.username == "unit_b"))
        staff.deactivate(db.session, user_b, clock.now())
    assert unit_a.get("/console/").status_code == 302
    assert unit_b.get("/console/").status_code == 302


def test_an_idle_session_expires_after_the_configured_time(app, login_as, console_data, console_now):
    client = login_as("unit_a")
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)
    saved = _saved_cookie(client)
    # The signed cookie carries its issue time (itsdangerous uses the system time, not the service clock).
    import itsdangerous

    later = itsdangerous.TimestampSigner.get_timestamp
    try:
        itsdangerous.TimestampSigner.get_timestamp = lambda self: int(later(self) + 8 * 3600 + 60)
        response = _with_cookie(app, saved).get("/console/")
    finally:
        itsdangerous.TimestampSigner.get_timestamp = later
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
