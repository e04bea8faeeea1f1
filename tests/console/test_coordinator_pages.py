"""The console's side of issue 29: proposal and one-click routing, the moderation queue, 报备 list and counts."""

from __future__ import annotations

from sqlalchemy import select

from models import ModerationItem, OutboxMessage, Suggestion, Unit, db
from services.calendar import clock
from services.participation import suggestions

GENERAL = "社保卡补办要跑到区里，希望在镇街便民服务中心也能办理社保业务。"


def _suggest(app, openid: str, text: str, event_id: int | None = None) -> int:
    with app.app_context():
        made = suggestions.create(db.session, openid, text, clock.now(), event_id=event_id)
        db.session.commit()
        return made.id


def test_a_general_suggestion_shows_the_district_office_a_proposal_and_routes_in_one_click(app, console_data,
                                                                                          login_as):
    general = _suggest(app, "o_g", GENERAL)
    coordinator = login_as("coordinator")
    inbox = coordinator.get("/console/suggestions").get_data(as_text=True)
    assert "区政务服务和数据管理局（待分派）" in inbox and "未分派" not in inbox
    page = coordinator.get(f"/console/suggestions/{general}").get_data(as_text=True)
    assert 'id="proposed-unit">人保局<' in page and "相似度" in page
    answer = coordinator.post(f"/console/suggestions/{general}/route", follow_redirects=True).get_data(as_text=True)
    assert "已转人保局办理" in answer
    with app.app_context():
        assert db.session.get(Suggestion, general).unit.name == "人保局"
        pushed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "suggestion_routed")).one()
        assert "转人保局办理" in pushed.payload["text"]


def test_routing_to_another_unit_and_unit_staff_cannot_route(app, console_data, login_as):
    general = _suggest(app, "o_g", GENERAL)
    assert login_as("unit_a").post(f"/console/suggestions/{general}/route").status_code == 403
    coordinator = login_as("coordinator")
    with app.app_context():
        caiyu = db.session.scalar(select(Unit.id).where(Unit.name == "采育镇"))
    coordinator.post(f"/console/suggestions/{general}/route", data={"unit_id": caiyu})
    with app.app_context():
        assert db.session.get(Suggestion, general).unit_id == caiyu


def test_the_moderation_queue_shows_masked_text_and_approval_publishes_it(app, console_data, login_as):
    own = _suggest(app, "o_m", "我叫刘一，手机13512345678，建议镇长面对面活动多请物业参加。", console_data.event_a_id)
    unit = login_as("unit_a")
    unit.post(f"/console/suggestions/{own}/reply", data={"adoption": "adopted", "reason": "下次邀请",
                                                       "reply_text": "刘一您好，下次活动将邀请物业。"})
    adopted = login_as("auditor").get("/suggestions/adopted").get_data(as_text=True)
    assert "多请物业参加" not in adopted and "建议原文及答复经审核后公开" in adopted
    queue = unit.get("/console/moderation").get_data(as_text=True)
    assert "13512345678" not in queue and "刘一" not in queue and "刘*" in queue and "手机号" in queue
    with app.app_context():
        item_id = db.session.scalar(select(ModerationItem.id))
    unit.post(f"/console/moderation/{item_id}/approve")
    adopted = app.test_client().get("/suggestions/adopted").get_data(as_text=True)
    assert "我叫刘*，手机1**********，建议镇长面对面活动多请物业参加。" in adopted
    assert "刘*您好，下次活动将邀请物业。" in adopted and "13512345678" not in adopted
    assert login_as("unit_b").post(f"/console/moderation/{item_id}/approve").status_code == 403


def test_the_dashboard_and_board_show_the_coordinators_counts(app, console_data, login_as):
    _suggest(app, "o_g", GENERAL)
    page = login_as("coordinator").get("/console/").get_data(as_text=True)
    assert 'id="coordination-panel"' in page and "待分派的综合建议" in page and "待确认的变更报备" in page
    board = login_as("coordinator").get("/console/compliance").get_data(as_text=True)
    assert 'id="late-changes">0<' in board and 'id="unreported-changes">0<' in board
    assert login_as("unit_a").get("/console/changes").status_code == 200


def test_the_statistics_and_the_annual_report_show_the_coordination_table(app, console_data, login_as):
    page = login_as("coordinator").get("/console/stats").get_data(as_text=True)
    assert 'id="coordination-table"' in page and "平均分派用时" in page
    annual_page = login_as("coordinator").get("/console/annual").get_data(as_text=True)
    assert 'id="coordination-table"' in annual_page
