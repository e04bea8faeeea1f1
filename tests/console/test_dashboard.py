"""The landing page tells each role what needs doing, in its own scope."""

from __future__ import annotations

import datetime as dt

from models import Event, Suggestion, db


def _late_announcement(app, event_id: int) -> None:
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.announced_at = event.starts_at - dt.timedelta(hours=20)  # a livestream announced the day before
        db.session.add(Suggestion(tracking_no="JY20260302-0001", text="希望增加周末场次", unit_id=event.unit_id,
                                  event_id=event.id, created_at=event.starts_at - dt.timedelta(days=3)))
        db.session.commit()


def test_coordinator_sees_red_items_open_suggestions_and_failed_sends(app, login_as, console_data):
    _late_announcement(app, console_data.hybrid_event_id)
    page = login_as("coordinator").get("/console/").get_data(as_text=True)
    assert "需要立即处理" in page and "开放点3" in page
    assert "待答复的意见建议" in page and "发送失败的消息" in page
    assert "近期活动" in page


def test_unit_staff_see_only_their_unit(app, login_as, console_data):
    _late_announcement(app, console_data.hybrid_event_id)  # another unit's event
    page = login_as("unit_a").get("/console/").get_data(as_text=True)
    assert "需要立即处理" not in page and "开放点3" not in page
    assert "发送失败的消息" not in page
    assert "采育镇" in page
