"""Compliance board (scoping, colours, working-day deadlines, calendar warning) and the closing page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Application, ApplicationStatus, AuditLog, Event, EventKind, EventStatus, db
from services.calendar import clock

# Thursday before the 2026 Spring Festival: the 5th working day after is 2026-02-26
# (02-13 Fri, 02-14 Sat make-up day, holiday until 02-23, then 02-24, 02-25, 02-26).
PAST_EVENT_AT = dt.datetime(2026, 2, 12, 14, 0, tzinfo=clock.SHANGHAI)


def _move_to_past(app, event_id: int, checked_in: int = 0, make_applicants=None) -> None:
    ids = make_applicants(event_id, checked_in) if make_applicants and checked_in else []
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at, event.status = PAST_EVENT_AT, EventStatus.PUBLISHED
        for application_id in ids:
            db.session.get(Application, application_id).status = ApplicationStatus.CHECKED_IN
        db.session.commit()


def _lecture_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Event.id).where(Event.kind == EventKind.POLICY_LECTURE)).first()


def test_board_is_scoped_to_the_unit_and_complete_for_coordinators(app, console_data, login_as):
    with app.app_context():
        title_a = db.session.get(Event, console_data.event_a_id).title
        title_b = db.session.get(Event, console_data.event_b_id).title
    unit_page = login_as("unit_a").get("/console/compliance").get_data(as_text=True)
    assert title_a in unit_page and title_b not in unit_page
    page = login_as("coordinator").get("/console/compliance").get_data(as_text=True)
    assert title_a in page and title_b in page
    for rule in ("发布活动预告", "发送入选通知", "提醒入选人员", "公开活动资料"):
        assert rule in page


def test_missed_materials_deadline_is_red_with_the_working_day_date(app, console_data, login_as):
    _move_to_past(app, console_data.event_a_id)
    page = login_as("unit_a").get("/console/compliance?level=red").get_data(as_text=True)
    assert "已超期" in page and "期限 2026-02-26" in page


def test_coordinator_filters_by_unit(app, console_data, login_as):
    with app.app_context():
        title_b = db.session.get(Event, console_data.event_b_id).title
    page = login_as("coordinator").get(f"/console/compliance?unit_id={console_data.unit_a_id}").get_data(as_text=True)
    assert title_b not in page


def test_missing_calendar_year_is_warned(app, console_data, login_as):
    client = login_as("coordinator")
    with clock.frozen(dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)):
        page = client.get("/console/compliance").get_data(as_text=True)
    assert "2027 年的法定节假日安排尚未载入" in page


def test_closing_shows_attendance_and_deadline_then_turns_the_board_green(app, console_data, login_as, make_applicants):
    _move_to_past(app, console_data.event_a_id, checked_in=3, make_applicants=make_applicants)
    client = login_as("unit_a")
    page = client.get(f"/console/events/{console_data.event_a_id}/closing").get_data(as_text=True)
    assert 'id="attendance">3<' in page and "2026-02-26" in page and "已超期" in page
    response = client.post(f"/console/events/{console_data.event_a_id}/closing", data={
        "materials": "https://www.bjdx.gov.cn/zwgk/kfr/1.html\n\nhttps://www.bjdx.gov.cn/zwgk/kfr/2.html",
        "video_url": "", "note": "活动顺利举行，收集建议 12 条。"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, console_data.event_a_id)
        assert event.materials_url.splitlines() == ["https://www.bjdx.gov.cn/zwgk/kfr/1.html",
                                                     "https://www.bjdx.gov.cn/zwgk/kfr/2.html"]
        assert event.materials_published_at == clock.now()
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "event.closing")).one()
        assert entry.after["attendance"] == 3
    # Published late (today 03-02 > 02-26): still red, but as "done late".
    board = client.get("/console/compliance").get_data(as_text=True)
    assert "晚于期限" in board


def test_closing_in_time_is_green(app, console_data, login_as):
    _move_to_past(app, console_data.event_a_id)
    client = login_as("unit_a")
    with clock.frozen(dt.datetime(2026, 2, 25, 10, 0, tzinfo=clock.SHANGHAI)):
        client.post(f"/console/events/{console_data.event_a_id}/closing",
                    data={"materials": "https://www.bjdx.gov.cn/a.html", "video_url": "", "note": ""})
        page = client.get("/console/closing").get_data(as_text=True)
    assert "已公开（2026-02-25）" in page


def test_a_policy_lecture_needs_a_video_and_the_form_keeps_what_was_typed(app, console_data, login_as):
    lecture_id = _lecture_id(app)
    _move_to_past(app, lecture_id)
    response = login_as("coordinator").post(f"/console/events/{lecture_id}/closing", data={
        "materials": "https://www.bjdx.gov.cn/zcgkj/1.html", "video_url": "", "note": "讲解了新政策要点"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "讲解视频" in page and "讲解了新政策要点" in page
    assert "https://www.bjdx.gov.cn/zcgkj/1.html" in page


def test_closing_refuses_bad_links_and_future_events(app, console_data, login_as):
    client = login_as("unit_a")
    future = client.post(f"/console/events/{console_data.event_a_id}/closing",
                         data={"materials": "https://www.bjdx.gov.cn/a.html", "video_url": "", "note": ""})
    assert future.status_code == 400 and "尚未开始" in future.get_data(as_text=True)
    _move_to_past(app, console_data.event_a_id)
    bad = client.post(f"/console/events/{console_data.event_a_id}/closing",
                      data={"materials": "javascript:alert(1)", "video_url": "", "note": ""})
    assert bad.status_code == 400 and "链接无效" in bad.get_data(as_text=True)


def test_closing_permissions(app, console_data, login_as):
    _move_to_past(app, console_data.event_a_id)
    url = f"/console/events/{console_data.event_a_id}/closing"
    data = {"materials": "https://www.bjdx.gov.cn/a.html", "video_url": "", "note": ""}
    assert login_as("unit_b").get(url).status_code == 403
    assert login_as("unit_b").post(url, data=data).status_code == 403
    auditor = login_as("auditor")
    assert auditor.get(url).status_code == 200 and auditor.post(url, data=data).status_code == 403


def test_the_holiday_banner_is_one_line_dismissible_for_the_session_and_full_on_the_board(app, console_data,
                                                                                       login_as):
    client = login_as("unit_a")
    with clock.frozen(dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.SHANGHAI)):
        page = client.get("/console/").get_data(as_text=True)
        assert 'id="calendar-banner"' in page and "2027 年节假日安排未载入，期限为估算。" in page
        assert "国务院办公厅通常" not in page.split('title="', 1)[1].split('"', 1)[1]  # the full text only on hover
        board = client.get("/console/compliance").get_data(as_text=True)
        assert 'id="calendar-banner"' not in board and "国务院办公厅通常在 11 月发布下一年的放假通知" in board
        response = client.post("/console/calendar-banner/dismiss", data={"next": "/console/suggestions"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/console/suggestions")
        assert 'id="calendar-banner"' not in client.get("/console/").get_data(as_text=True)
        assert "国务院办公厅通常" in client.get("/console/compliance").get_data(as_text=True)
        assert client.post("/console/calendar-banner/dismiss",
                           data={"next": "https://evil.example/"}).headers["Location"].endswith("/console/")
        # Another login (a new session) sees it again.
        assert 'id="calendar-banner"' in login_as("unit_a").get("/console/").get_data(as_text=True)


def test_a_late_publication_with_a_recorded_reason_says_so_on_the_board_and_the_dashboard(app, console_data,
                                                                                        login_as):
    with app.app_context():
        event = db.session.get(Event, console_data.hybrid_event_id)  # livestreamed: announced 3 working days ahead
        event.announced_at = event.starts_at - dt.timedelta(days=1)
        event.publish_override_reason = "上级临时调整活动安排"
        db.session.commit()
    client = login_as("coordinator")
    board = client.get("/console/compliance").get_data(as_text=True)
    dashboard = client.get("/console/").get_data(as_text=True)
    for page in (board, dashboard):
        assert "·已说明理由" in page and 'title="超期理由：上级临时调整活动安排"' in page
        assert "超期理由" in page and "上级临时调整活动安排" in page
    nav = dashboard.split('<nav class="nav">', 1)[1].split("</nav>", 1)[0]
    assert nav.index("活动管理") < nav.index("意见建议") < nav.index("合规看板")  # the menu keeps its order
