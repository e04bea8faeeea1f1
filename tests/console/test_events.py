"""Event pages and services.programme.event_admin: create, edit, publish rules, cancel and postpone notices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import (
    Application,
    ApplicationStatus,
    AuditLog,
    Citizen,
    Event,
    EventMode,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    Topic,
    db,
)
from services.calendar import clock
from services.messaging import outbox
from services.programme import deadlines, event_admin


def form_data(**overrides) -> dict:
    """A complete event form (hybrid, 2026-03-20 14:00 Beijing, well before the deadline)."""
    data = {
        "title": "政务开放日·测试活动", "kind": "open_day", "mode": "hybrid", "unit_id": "", "topic_id": "",
        "co_hosts": "", "starts_at": "2026-03-20T14:00", "duration_minutes": "90", "place": "采育镇政府会议室",
        "summary": "走进政务服务中心", "agenda": "1. 参观\n2. 座谈", "online_participation": "公众号直播间留言提问",
        "livestream_url": "", "seats": "20", "apply_opens_at": "", "apply_closes_at": "2026-03-16T17:00",
        "selection_planned_on": "2026-03-17",
    }
    data.update(overrides)
    return data


def create(client, **overrides) -> int:
    """Create an event through the form; returns its id."""
    response = client.post("/console/events/new", data=form_data(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_unit_staff_creates_a_draft_of_their_own_unit(app, login_as, console_data):
    client = login_as("unit_a")
    event_id = create(client, unit_id=str(console_data.unit_b_id))  # a forged unit is ignored
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.status == EventStatus.DRAFT and event.unit_id == console_data.unit_a_id
        assert clock.local(event.starts_at) == dt.datetime(2026, 3, 20, 14, 0, tzinfo=clock.SHANGHAI)
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.create"))
        assert entry.actor_id == console_data.users["unit_a"] and entry.after["title"] == "政务开放日·测试活动"


def test_a_failing_form_keeps_what_was_typed(login_as):
    client = login_as("unit_a")
    page = client.post("/console/events/new", data=form_data(starts_at="", agenda="我写的议程")).get_data(as_text=True)
    assert "请填写活动开始时间" in page and "政务开放日·测试活动" in page and "我写的议程" in page
    page = client.post("/console/events/new", data=form_data(starts_at="2026-03-01T09:00")).get_data(as_text=True)
    assert "活动时间应晚于当前时间" in page and "采育镇政府会议室" in page


def test_edit_records_before_and_after(app, login_as):
    client = login_as("unit_a")
    event_id = create(client)
    response = client.post(f"/console/events/{event_id}/edit", data=form_data(place="新的地点"))
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.update"))
        assert entry.before == {"place": "采育镇政府会议室"} and entry.after == {"place": "新的地点"}


def test_publish_page_shows_the_announcement_as_citizens_read_it(login_as):
    client = login_as("unit_a")
    event_id = create(client)
    page = client.get(f"/console/events/{event_id}/publish").get_data(as_text=True)
    assert "公告预览" in page and "公众号直播间留言提问" in page and "座谈" in page and "确认发布" in page


def test_the_publish_preview_is_the_announcement_citizens_will_read(app, login_as, console_data):
    from markupsafe import escape

    from services.programme import announcement

    with app.app_context():
        event = db.session.get(Event, console_data.event_a_id)
        event.status = EventStatus.DRAFT
        db.session.commit()
        base = app.extensions["settings"].PUBLIC_BASE_URL
        expected = announcement.compose(event, clock.now(), base, as_published=True).paragraphs()
    page = login_as("coordinator").get(f"/console/events/{console_data.event_a_id}/publish").get_data(as_text=True)
    for paragraph in expected:
        assert str(escape(paragraph)) in page, paragraph
    assert "尚未发布" not in page


def test_incomplete_livestream_announcement_is_refused(app, login_as, console_data):
    client = login_as("coordinator")
    page = client.post("/console/events/new", data=form_data(unit_id="")).get_data(as_text=True)
    assert "请选择主责单位" in page
    event_id = create(client, online_participation="", agenda="", unit_id=str(console_data.unit_b_id))
    page = client.post(f"/console/events/{event_id}/publish", data={"override_reason": "急需"},
                       follow_redirects=True).get_data(as_text=True)
    assert "直播活动公告缺少：活动议程、网民参与方式" in page
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.DRAFT


def test_publishing_in_time_notifies_topic_followers(app, login_as, console_data):
    with app.app_context():
        topic = db.session.scalar(select(Topic).order_by(Topic.id))
        citizen = Citizen(openid="o_follower", created_at=clock.now(), topics=[topic])
        db.session.add(citizen)
        db.session.commit()
        topic_id = topic.id
    client = login_as("unit_a")
    event_id = create(client, topic_id=str(topic_id))
    page = client.post(f"/console/events/{event_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "活动已发布" in page
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.status == EventStatus.PUBLISHED and event.announced_at == clock.now()
        assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "o_follower")) is not None


def test_late_livestream_needs_a_coordinator_and_a_reason(app, login_as):
    # Monday 2 March: an event on Thursday 5 March had to be announced by 2 March... one day later it is late.
    unit = login_as("unit_a")
    event_id = create(unit, starts_at="2026-03-05T14:00", apply_closes_at="", selection_planned_on="")
    with clock.frozen(dt.datetime(2026, 3, 3, 9, 0, tzinfo=clock.SHANGHAI)):
        page = unit.post(f"/console/events/{event_id}/publish", follow_redirects=True).get_data(as_text=True)
        assert "至少 3 个工作日" in page and "最晚 2026-03-02" in page
        coordinator = login_as("coordinator")
        page = coordinator.post(f"/console/events/{event_id}/publish", data={"override_reason": ""},
                                follow_redirects=True).get_data(as_text=True)
        assert "请区级协调员填写理由" in page
        response = coordinator.post(f"/console/events/{event_id}/publish", data={"override_reason": "区领导临时调整"})
        assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.status == EventStatus.PUBLISHED and event.publish_override_reason == "区领导临时调整"
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.publish"))
        assert "区领导临时调整" in entry.note


def test_offline_events_have_no_livestream_deadline(app, console_data):
    with app.app_context():
        event = db.session.get(Event, console_data.event_a_id)
        assert event.mode == EventMode.OFFLINE
        assert event_admin.check_publish(event, clock.now()).deadline is None


def test_deadline_is_three_working_days_before(app, console_data):
    with app.app_context():
        event = db.session.get(Event, console_data.hybrid_event_id)
        event.starts_at = clock.to_utc(dt.datetime(2026, 4, 7, 9, 30))  # Tuesday after 清明 (4–6 April off)
        deadline, estimated = event_admin.publish_deadline(event)
        assert deadline == dt.date(2026, 4, 1) and not estimated


def _applicants(app, event_id, make_applicants) -> list[int]:
    ids = make_applicants(event_id, 3)
    with app.app_context():
        db.session.get(Application, ids[2]).status = ApplicationStatus.CANCELLED
        db.session.get(Application, ids[1]).status = ApplicationStatus.SELECTED
        event_admin.add_invitation(db.session, event_id, "王邀请", "13900000000", "人大代表", "", None, clock.now())
        db.session.commit()
    return ids


def test_cancel_tells_each_active_applicant(app, login_as, console_data, make_applicants):
    _applicants(app, console_data.event_a_id, make_applicants)
    with app.app_context():  # a reminder already queued for the event
        event = db.session.get(Event, console_data.event_a_id)
        reminder = outbox.enqueue(db.session, "o_someone", deadlines.REMINDER_PURPOSE,
                                  deadlines.reminder_subject(event), {"text": "明天见"}, clock.now())
        db.session.commit()
        reminder_id = reminder.id
    client = login_as("unit_a")
    page = client.post(f"/console/events/{console_data.event_a_id}/cancel", data={"reason": "场地检修"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已向 2 位报名者发送通知" in page
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "event_cancelled")).all()
        assert len(rows) == 2 and all("场地检修" in row.payload["text"] for row in rows)
        assert db.session.get(Event, console_data.event_a_id).status == EventStatus.CANCELLED
        assert db.session.get(OutboxMessage, reminder_id).status == OutboxStatus.CANCELLED


def test_cancel_without_reason_keeps_the_event(app, login_as, console_data):
    page = login_as("unit_a").post(f"/console/events/{console_data.event_a_id}/cancel",
                                   data={"reason": ""}).get_data(as_text=True)
    assert "请填写取消原因" in page
    with app.app_context():
        assert db.session.get(Event, console_data.event_a_id).status == EventStatus.PUBLISHED


def test_postpone_moves_the_event_and_tells_applicants(app, login_as, console_data, make_applicants):
    _applicants(app, console_data.event_a_id, make_applicants)
    client = login_as("unit_a")
    response = client.post(f"/console/events/{console_data.event_a_id}/postpone",
                           data={"starts_at": "2026-05-12T09:30", "reason": "天气原因"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, console_data.event_a_id)
        assert clock.local(event.starts_at).date() == dt.date(2026, 5, 12)
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "event_postponed")).all()
        assert len(rows) == 2 and "5月12日 周二 09:30" in rows[0].payload["text"]
        assert all(len(value) <= 20 for value in rows[0].payload["data"].values())


def test_a_published_event_changes_date_only_by_postponing(login_as, console_data):
    client = login_as("unit_a")
    page = client.get(f"/console/events/{console_data.event_a_id}/edit").get_data(as_text=True)
    assert "readonly" in page
    data = form_data(starts_at="2026-06-01T09:00", mode="offline")
    page = client.post(f"/console/events/{console_data.event_a_id}/edit", data=data).get_data(as_text=True)
    assert "请通过“延期”调整时间" in page


def test_list_and_calendar_show_only_the_units_events(login_as, console_data):
    client = login_as("unit_a")
    page = client.get("/console/events?when=all").get_data(as_text=True)
    assert "镇长面对面" in page and "开放点1）" not in page
    calendar = client.get("/console/events/calendar?month=2026-04").get_data(as_text=True)
    assert "2026 年 4 月" in calendar and "镇长面对面" in calendar
    coordinator = login_as("coordinator")
    assert "开放点1）" in coordinator.get("/console/events?when=all").get_data(as_text=True)
    page = coordinator.get(f"/console/events?when=all&unit={console_data.unit_b_id}").get_data(as_text=True)
    assert "开放点1）" in page and "镇长面对面" not in page


def test_every_audit_row_of_a_console_action_has_the_address(app, login_as, console_data):
    """Issue 26 (14): event.create and the like were recorded without the staff member's address."""
    client = login_as("unit_a")
    create(client)
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.create"))
        assert entry.ip == "127.0.0.1"
    page = login_as("coordinator").get("/console/audit").get_data(as_text=True)
    assert 'class="muted small audit-address">127.0.0.1<' in page
