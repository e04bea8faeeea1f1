"""Outbox failures page: reasons shown, unit scoping, retry by coordinators only (audited)."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditLog, OutboxMessage, OutboxStatus, db
from services.calendar import clock
from services.messaging import outbox


def _failed(app, recipient: str, subject: str, code: int, error: str, purpose: str = "reminder") -> int:
    with app.app_context():
        row = outbox.enqueue(db.session, recipient, purpose, subject, {"text": "x"}, clock.now())
        row.status, row.last_error_code, row.last_error, row.attempts = OutboxStatus.FAILED, code, error, 1
        row.updated_at = clock.now()
        db.session.commit()
        return row.id


def test_failures_are_listed_with_reasons_and_hashed_openids(app, console_data, login_as):
    _failed(app, "o_citizen_secret", f"event:{console_data.event_a_id}", 43004, "require subscribe hint")
    _failed(app, "o_citizen_2", f"event:{console_data.event_b_id}", 43101, "user refuse to accept the msg")
    page = login_as("coordinator").get("/console/outbox").get_data(as_text=True)
    assert "用户未关注公众号" in page and "用户拒收" in page and "require subscribe hint" in page
    assert "o_citizen_secret" not in page
    assert "重试所选消息" in page


def test_pending_and_sent_rows_are_not_failures(app, console_data, login_as):
    with app.app_context():
        outbox.enqueue(db.session, "o_pending", "reminder", "event:1", {"text": "x"}, clock.now())
        db.session.commit()
    assert "没有最终失败的消息" in login_as("coordinator").get("/console/outbox").get_data(as_text=True)


def test_unit_staff_see_only_their_units_failures_and_cannot_retry(app, console_data, login_as):
    _failed(app, "o_a", f"event:{console_data.event_a_id}", 43004, "unit a failure")
    own_b = _failed(app, "o_b", f"event:{console_data.event_b_id}", 43004, "unit b failure")
    client = login_as("unit_a")
    page = client.get("/console/outbox").get_data(as_text=True)
    assert "unit a failure" in page and "unit b failure" not in page and "重试所选消息" not in page
    assert client.post("/console/outbox/retry", data={"ids": [own_b]}).status_code == 403
    assert login_as("auditor").post("/console/outbox/retry", data={"ids": [own_b]}).status_code == 403


def test_filters_by_error_code(app, console_data, login_as):
    _failed(app, "o_a", "event:1", 43004, "first reason")
    _failed(app, "o_b", "event:1", 48001, "api unauthorized")
    page = login_as("coordinator").get("/console/outbox?code=48001").get_data(as_text=True)
    assert "api unauthorized" in page and "first reason" not in page


def test_coordinator_retry_resets_to_pending_and_is_audited(app, console_data, login_as):
    row_id = _failed(app, "o_a", "event:1", -1, "system busy")
    response = login_as("coordinator").post("/console/outbox/retry", data={"ids": [str(row_id)]},
                                            follow_redirects=True)
    assert "已将 1 条消息重新放入发送队列" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == OutboxStatus.PENDING and row.attempts == 0 and row.next_attempt_at is None
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "outbox.retry")).one()
        assert entry.object_id == str(row_id) and entry.before["status"] == "failed"


def test_error_text_from_wechat_is_escaped(app, console_data, login_as):
    _failed(app, "o_a", "event:1", 99999, "<img src=x onerror=alert(1)>")
    page = login_as("coordinator").get("/console/outbox").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_the_purpose_filter_shows_chinese_labels_not_raw_keys(app, console_data, login_as):
    import re

    _failed(app, "o_sel", f"event:{console_data.event_a_id}", 43004, "x", purpose="selection_selected")
    _failed(app, "o_topic", f"event:{console_data.event_a_id}", 43004, "x", purpose="topic_notice")
    page = login_as("coordinator").get("/console/outbox").get_data(as_text=True)
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]*)</option>', page)
    labels = dict(options)
    assert labels["selection_selected"] == "遴选结果：入选通知" and labels["topic_notice"] == "专题订阅新活动通知"
    assert all(not re.fullmatch(r"[a-z_]+", label) for _, label in options)
    assert "selection_selected" not in page.split("</select>", 1)[1]  # the table too
