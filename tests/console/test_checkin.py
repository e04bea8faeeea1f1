"""Check-in at the door: codes, refusals with clear messages, the live count, QR codes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import Application, ApplicationStatus, AuditLog, Event, db
from services.calendar import clock
from services.participation import checkin


def _starts_at(app, event_id: int) -> dt.datetime:
    with app.app_context():
        return db.session.get(Event, event_id).starts_at


@pytest.fixture
def at_the_door(app, console_data, console_now):
    """The clock moved to half an hour before event A starts (inside its check-in window)."""
    with clock.frozen(_starts_at(app, console_data.event_a_id) - dt.timedelta(minutes=30)) as frozen:
        yield frozen


def _selected(app, event_id, make_applicants, n=2) -> list[str]:
    """``n`` selected applicants of ``event_id`` with codes; returns the codes."""
    ids = make_applicants(event_id, n)
    with app.app_context():
        codes = []
        for application_id in ids:
            application = db.session.get(Application, application_id)
            application.status = ApplicationStatus.SELECTED
            codes.append(checkin.ensure_code(db.session, application))
        db.session.commit()
    return codes


def test_codes_are_short_and_unambiguous(app, console_data, make_applicants):
    codes = _selected(app, console_data.event_a_id, make_applicants, 5)
    assert len(set(codes)) == 5
    assert all(len(code) == 6 and not set(code) & set("01OIL") for code in codes)
    assert checkin.normalise(" zmhd:ab-c 234 ") == "ABC234"


def test_check_in_by_typed_code_shows_name_and_category(app, login_as, console_data, make_applicants, at_the_door):
    code, _ = _selected(app, console_data.event_a_id, make_applicants)
    client = login_as("unit_a")
    response = client.post(f"/console/events/{console_data.event_a_id}/checkin.json", json={"code": code.lower()})
    body = response.get_json()
    assert response.status_code == 200 and body["ok"] and body["person"]["name"].startswith("申请人")
    assert body["person"]["category"] == "人大代表" and body["arrivals"] == {"arrived": 1, "expected": 2, "seats": 30}
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.checkin_code == code))
        assert application.status == ApplicationStatus.CHECKED_IN and application.checked_in_at == clock.now()
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin")) is not None


def test_double_check_in_is_refused_clearly(app, login_as, console_data, make_applicants, at_the_door):
    code, _ = _selected(app, console_data.event_a_id, make_applicants)
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/checkin.json"
    client.post(url, json={"code": code})
    response = client.post(url, json={"code": "ZMHD:" + code})
    assert response.status_code == 409 and "已签到过" in response.get_json()["message"]
    assert response.get_json()["arrivals"]["arrived"] == 1


def test_a_code_of_another_event_is_refused(app, login_as, console_data, make_applicants, at_the_door):
    code, _ = _selected(app, console_data.event_a2_id, make_applicants)
    response = login_as("unit_a").post(f"/console/events/{console_data.event_a_id}/checkin.json", json={"code": code})
    message = response.get_json()["message"]
    assert response.status_code == 422 and "不是本活动的签到码" in message
    with app.app_context():  # the door learns nothing about the other event
        assert db.session.get(Event, console_data.event_a2_id).title not in message


def test_check_in_is_open_only_from_two_hours_before_the_start_to_the_end(app, login_as, console_data,
                                                                         make_applicants):
    code, _ = _selected(app, console_data.event_a_id, make_applicants)
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/checkin.json"
    starts = _starts_at(app, console_data.event_a_id)
    with app.app_context():
        ends = db.session.get(Event, console_data.event_a_id).ends_at
    response = client.post(url, json={"code": code})  # a month early, as in the report
    assert response.status_code == 409 and response.get_json()["message"].startswith("尚未到签到时间")
    page = client.get(f"/console/events/{console_data.event_a_id}/checkin").get_data(as_text=True)
    assert "尚未到签到时间" in page and "签到时间：" in page
    with clock.frozen(starts - dt.timedelta(hours=2, minutes=1)):
        assert client.post(url, json={"code": code}).status_code == 409
    with clock.frozen(ends + dt.timedelta(minutes=1)):
        response = client.post(url, json={"code": code})
        assert response.status_code == 409 and "签到已关闭" in response.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(select(Application).where(Application.checkin_code == code)).status == \
            ApplicationStatus.SELECTED
    with clock.frozen(starts - dt.timedelta(hours=2)):
        assert client.post(url, json={"code": code}).status_code == 200


def test_unknown_and_unselected_codes(app, login_as, console_data, make_applicants, at_the_door):
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/checkin.json"
    assert client.post(url, json={"code": "ZZZZZZ"}).status_code == 404
    code, _ = _selected(app, console_data.event_a_id, make_applicants)
    with app.app_context():
        db.session.scalar(select(Application).where(Application.checkin_code == code)).status = \
            ApplicationStatus.CANCELLED
        db.session.commit()
    response = client.post(url, json={"code": code})
    assert response.status_code == 422 and "不在本活动的入选名单中" in response.get_json()["message"]


def test_page_form_works_without_javascript(app, login_as, console_data, make_applicants, at_the_door):
    code, _ = _selected(app, console_data.event_a_id, make_applicants)
    client = login_as("unit_a")
    page = client.post(f"/console/events/{console_data.event_a_id}/checkin", data={"code": code},
                       follow_redirects=True).get_data(as_text=True)
    assert "签到成功" in page and "已签到" in page
    count = client.get(f"/console/events/{console_data.event_a_id}/checkin/count.json").get_json()
    assert count == {"arrived": 1, "expected": 2, "seats": 30}


def test_qr_codes_for_staff_and_the_citizen(app, login_as, console_data, make_applicants):
    _selected(app, console_data.event_a_id, make_applicants, 1)
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.checkin_code.is_not(None)))
        application_id = application.id
    response = login_as("unit_a").get(f"/console/applications/{application_id}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml" and b"<svg" in response.data
    assert login_as("unit_b").get(f"/console/applications/{application_id}/qr.svg").status_code == 403
    assert app.test_client().get(f"/console/applications/{application_id}/qr.svg").status_code in (302, 401)


def test_codes_can_be_generated_for_late_invitations(app, login_as, console_data):
    from services.programme import event_admin

    with app.app_context():
        event_admin.add_invitation(db.session, console_data.event_a_id, "钱邀请", "", "媒体记者", "", None, clock.now())
        db.session.commit()
    client = login_as("unit_a")
    page = client.post(f"/console/events/{console_data.event_a_id}/checkin/codes", follow_redirects=True)
    assert "已为 1 位参加人员生成签到码" in page.get_data(as_text=True)
