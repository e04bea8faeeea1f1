"""The public pages: an event's page, its .ics file and the month's calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app import demo
from models import Event, EventStatus, db
from services.calendar import clock

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def ids(app, fixed_now):
    with app.app_context():
        demo.load(db.session, NOW)
        return dict(db.session.execute(select(Event.code, Event.id)).all())


def test_event_page_carries_every_announcement_field(client, ids):
    page = client.get(f"/events/{ids['OD-03']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in ("政务开放日·政务服务体验（开放点3）", "12月9日 周三 14:30–16:30", "约 2 小时", "天宫院街道政务服务大厅",
                     "天宫院街道", "签到入场", "线上参与", "直播链接将于活动开始前", "30 人", "12月4日 周五 17:00",
                     "12月7日 周一", "线上线下结合", f"/events/{ids['OD-03']}.ics", 'name="viewport"'):
        assert expected in html, expected


def test_livestream_link_and_escaping(app, client, ids):
    with app.app_context():
        event = db.session.get(Event, ids["OD-05"])
        event.livestream_url = "https://live.example.cn/5"
        event.summary = "<script>alert(1)</script>"
        db.session.commit()
    html = client.get(f"/events/{ids['OD-05']}").get_data(as_text=True)
    assert 'href="https://live.example.cn/5"' in html and "无需报名" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_drafts_and_unknown_events_are_404(app, client, ids):
    with app.app_context():
        db.session.get(Event, ids["OD-01"]).status = EventStatus.DRAFT
        db.session.commit()
    assert client.get(f"/events/{ids['OD-01']}").status_code == 404
    assert client.get(f"/events/{ids['OD-01']}.ics").status_code == 404
    assert client.get("/events/9999").status_code == 404


def test_ics_in_beijing_time_with_a_reminder(client, ids):
    response = client.get(f"/events/{ids['OD-01']}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == dt.datetime(2026, 12, 3, 14, 0, tzinfo=clock.SHANGHAI)
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert event.decoded("dtend") - start == dt.timedelta(hours=2)
    assert str(event["summary"]) == "政务开放日·政务服务体验（开放点1）"
    assert "观音寺街道" in str(event["location"]) and "议程" in str(event["description"])
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == -dt.timedelta(hours=2)
    assert calendar.walk("VTIMEZONE") and "Asia/Shanghai" in response.get_data(as_text=True)


def test_calendar_lists_the_months_events(client, ids):
    html = client.get("/calendar").get_data(as_text=True)
    assert "2026年11月" in html and "本月暂无已发布的活动" in html
    html = client.get("/calendar?month=2026-12").get_data(as_text=True)
    assert "2026年12月" in html and "12月3日 周四" in html and "政务开放日·政务服务体验（开放点1）" in html
    assert f"/events/{ids['OD-01']}" in html and "month=2027-01" in html and "month=2026-11" in html
    assert "政策公开讲·" not in html  # the lectures are in January
    assert client.get("/calendar?month=junk").status_code == 200
    html = client.get("/calendar?month=2027-01").get_data(as_text=True)
    assert "政策公开讲·政企连心桥宣讲" in html


def _selected_with_code(app, event_id: int, code: str, status=None) -> None:
    from models import Application, ApplicationStatus, Citizen

    with app.app_context():
        citizen = Citizen(openid=f"o_pass_{code}", created_at=clock.now())
        db.session.add(citizen)
        db.session.flush()
        db.session.add(Application(event_id=event_id, citizen_id=citizen.id, name="王小明", mobile="13700001234",
                                   category="其他群众", street="旧宫镇", status=status or ApplicationStatus.SELECTED,
                                   checkin_code=code, created_at=clock.now()))
        db.session.commit()


def test_entry_pass_shows_the_event_with_the_code_as_a_qr(app, client, ids):
    _selected_with_code(app, ids["OD-03"], "7KQ3MX")
    page = client.get("/pass/7kq3mx")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "7KQ3MX" in body and "<svg" in body and "入场签到码" in body
    for expected in ("政务开放日·政务服务体验（开放点3）", "12月9日 周三 14:30–16:30", "天宫院街道政务服务大厅"):
        assert expected in body
    assert "王小明" not in body and "1370000" not in body  # nothing about the person


def test_an_unknown_or_cancelled_code_is_a_404_saying_the_code_is_not_valid(app, client, ids):
    from models import ApplicationStatus

    _selected_with_code(app, ids["OD-03"], "CANCEL", ApplicationStatus.CANCELLED)
    for code in ("NOPE00", "CANCEL"):
        page = client.get(f"/pass/{code}")
        body = page.get_data(as_text=True)
        assert page.status_code == 404 and "此签到码无效" in body
        assert "<svg" not in body and "开放点3" not in body and code not in body
    assert client.get("/pass/<script>").status_code == 404
