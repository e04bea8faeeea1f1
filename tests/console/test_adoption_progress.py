"""Adopted suggestions followed to done: progress updates from the unit, pushed once, on the board when stale."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import AdoptionProgress, AuditLog, OutboxMessage, db
from services.calendar import clock, workdays
from services.participation import suggestions

TEXT = "建议在镇政府门口增设非机动车停车区，方便办事群众"


def _adopted(app, console_data, adoption: str = "adopted", openid: str = "o_adopt") -> int:
    """A suggestion about unit A's event, answered with ``adoption`` (its reply pushed too)."""
    with app.app_context():
        suggestion = suggestions.create(db.session, openid, TEXT, clock.now(), event_id=console_data.event_a_id)
        suggestions.reply(db.session, suggestion.id, None, adoption, "感谢您的建议，王先生，我们将增设停车区。",
                          "已列入今年便民工程" if adoption != "not_adopted" else "场地受限", clock.now())
        db.session.commit()
        return suggestion.id


def _progress(client, suggestion_id: int, **fields):
    data = {"progress-stage": "studying", "progress-day": "", "progress-note": "已完成现场勘查，正在制定方案。"}
    data.update(fields)
    return client.post(f"/console/suggestions/{suggestion_id}/progress", data=data)


def _pushes(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "adoption_progress")
                                  .order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def test_each_update_is_stored_audited_shown_and_pushed_once(app, console_data, login_as):
    suggestion_id = _adopted(app, console_data)
    client = login_as("unit_a")
    detail = client.get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "落实进展" in detail and "尚未报送落实进展" in detail
    assert _progress(client, suggestion_id).status_code == 302
    assert _progress(client, suggestion_id).status_code == 302, "a double submit is kept once"
    _progress(client, suggestion_id, **{"progress-stage": "implementing", "progress-note": "停车区施工中，预计月底完工。"})
    page = client.get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "已完成现场勘查" in page and "实施中" in page and "2026-03-02" in page
    pushes = _pushes(app)
    assert [p.recipient for p in pushes] == ["o_adopt", "o_adopt"]
    assert "进展：研究中（2026年3月2日）" in pushes[0].payload["text"] and "采育镇" in pushes[0].payload["text"]
    assert "实施中" in pushes[1].payload["text"] and pushes[1].payload["template"] == "reply"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(AdoptionProgress.id))) == 2
        assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion.progress")).all()) == 2


def test_bad_updates_are_refused_with_a_sentence_and_nothing_is_stored(app, console_data, login_as):
    suggestion_id = _adopted(app, console_data)
    refused = _adopted(app, console_data, "not_adopted", openid="o_refused")
    client = login_as("unit_a")
    cases = [
        (suggestion_id, {"progress-note": ""}, "请填写进展说明"),
        (suggestion_id, {"progress-note": "很" * 201}, "进展说明不超过 200 字"),
        (suggestion_id, {"progress-day": "2026-03-09"}, "进展日期不能晚于今天"),
        (suggestion_id, {"progress-day": "2026-02-27"}, "不能早于答复日期"),
        (refused, {}, "只有已发布“采纳”或“部分采纳”答复的建议"),
    ]
    for target, fields, message in cases:
        response = _progress(client, target, **fields)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    typed = _progress(client, suggestion_id, **{"progress-note": "很" * 201}).get_data(as_text=True)
    assert "很" * 201 in typed, "what was typed stays in the form"
    assert "感谢您的建议" in typed, "the reply form keeps the published answer"
    assert _pushes(app) == []
    _progress(client, suggestion_id, **{"progress-stage": "done", "progress-note": "停车区已投入使用。"})
    after_done = _progress(client, suggestion_id, **{"progress-note": "再补充一句。"})
    assert after_done.status_code == 400 and "已报送“已完成”" in after_done.get_data(as_text=True)
    assert len(_pushes(app)) == 1


def test_other_units_and_auditors_cannot_add_progress(app, console_data, login_as):
    suggestion_id = _adopted(app, console_data)
    assert _progress(login_as("unit_b"), suggestion_id).status_code == 403
    assert _progress(login_as("auditor"), suggestion_id).status_code == 403
    assert _pushes(app) == []


def test_an_adoption_without_word_for_30_working_days_is_on_the_compliance_board(app, console_data, login_as):
    suggestion_id = _adopted(app, console_data, "partly")
    with app.app_context():
        tracking_no = db.session.get(suggestions.Suggestion, suggestion_id).tracking_no
    due = workdays.shift_working_days(clock.today_local(), 30)
    before = dt.datetime.combine(workdays.shift_working_days(due, -1), dt.time(10), tzinfo=clock.SHANGHAI)
    on_due = dt.datetime.combine(due, dt.time(10), tzinfo=clock.SHANGHAI)
    client = login_as("unit_a")
    with clock.frozen(before):
        assert tracking_no not in client.get("/console/compliance").get_data(as_text=True)
    with clock.frozen(on_due):
        board = client.get("/console/compliance").get_data(as_text=True)
        assert 'id="stale-adoptions-table"' in board and tracking_no in board and "已 30 个工作日未更新" in board
        assert tracking_no not in login_as("unit_b").get("/console/compliance").get_data(as_text=True)
        assert tracking_no in login_as("coordinator").get("/console/compliance").get_data(as_text=True)
        _progress(client, suggestion_id, **{"progress-stage": "implementing"})
        assert tracking_no not in client.get("/console/compliance").get_data(as_text=True)
