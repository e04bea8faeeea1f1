"""差评 follow-ups in the console: the unit's list and answer, scoping, masking, and overdue follow-ups
red on the compliance board and the dashboard."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ApplicationStatus, AuditLog, OutboxMessage, RatingFollowUp, Unit, db
from services.calendar import clock
from services.participation import ratings
from tests.console.conftest import UNIT_A
from tests.scheduler.fixtures import beijing, make_event, make_participant


@pytest.fixture
def follow_up(app, console_data):
    """A 非常不满意 of 王小明 about 采育镇's open day of Wednesday 2026-02-25, rated that afternoon."""
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == UNIT_A))
        event = make_event(db.session, "2026-02-25 10:00", unit=unit, title="政务开放日·采育镇便民服务")
        application = make_participant(db.session, event, "o_unhappy", status=ApplicationStatus.CHECKED_IN)
        application.name, application.mobile = "王小明", "13812345678"
        rated_at = beijing("2026-02-25 15:00")
        ratings.rate(db.session, "o_unhappy", event.id, 5, ["讲解不清楚"], "听不清<script>", rated_at)
        db.session.commit()
        return db.session.scalars(select(RatingFollowUp.id)).one()


def test_an_overdue_follow_up_is_red_on_the_board_the_dashboard_and_the_list(console_data, follow_up, login_as):
    # CONSOLE_NOW is Monday 2026-03-02: the callback was due on Thursday 02-26.
    client = login_as("unit_a")
    for path in ("/console/compliance", "/console/"):
        page = client.get(path).get_data(as_text=True)
        overdue = page[page.index('id="rating-overdue"'):]
        assert "差评回访整改逾期（1）" in overdue and "政务开放日·采育镇便民服务" in overdue
        assert '<span class="badge red">未按期回访（1个工作日）（截止 2026-02-26）</span>' in overdue
    listing = client.get("/console/ratings/follow-ups").get_data(as_text=True)
    assert 'class="follow-up-red"' in listing and "已超期" in listing and "2026-03-17" in listing
    assert "王**" in listing and "138****5678" in listing and "13812345678" not in listing
    # Another unit sees neither the item nor the follow-up.
    other = login_as("unit_b")
    assert 'id="rating-overdue"' not in other.get("/console/").get_data(as_text=True)
    assert other.get(f"/console/ratings/follow-ups/{follow_up}").status_code == 404


def test_the_unit_calls_back_and_answers_and_the_citizen_gets_it_once(app, console_data, follow_up, login_as):
    client = login_as("unit_a")
    detail = client.get(f"/console/ratings/follow-ups/{follow_up}").get_data(as_text=True)
    assert "王小明 · 13812345678" in detail and "听不清&lt;script&gt;" in detail
    empty = client.post(f"/console/ratings/follow-ups/{follow_up}/answer", data={"reply": " "})
    assert empty.status_code == 400 and "请填写整改答复" in empty.get_data(as_text=True)
    with clock.frozen(beijing("2026-03-02 10:00")):
        client.post(f"/console/ratings/follow-ups/{follow_up}/callback", data={"note": "已电话联系，市民反映音响效果差"})
        done = client.post(f"/console/ratings/follow-ups/{follow_up}/answer",
                           data={"reply": "已更换音响设备，并为老年人预留前排座位。"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "整改答复已发布" in page and "已更换音响设备" in page and "市民尚未追评" in page
    again = client.post(f"/console/ratings/follow-ups/{follow_up}/answer", data={"reply": "再次答复"},
                        follow_redirects=True)
    assert "该差评已答复，不能重复答复" in again.get_data(as_text=True)
    with app.app_context():
        [pushed] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "rating_reply")).all()
        assert pushed.recipient == "o_unhappy" and "已更换音响设备" in pushed.payload["text"]
        assert {a.action for a in db.session.scalars(select(AuditLog))} >= {"rating.callback", "rating.reply"}
    board = client.get("/console/compliance").get_data(as_text=True)
    assert 'id="rating-overdue"' not in board
    listing = client.get("/console/ratings/follow-ups").get_data(as_text=True)
    assert "已答复" in listing and "超期办结" in listing  # the callback came after its deadline


def test_an_auditor_reads_with_masks_and_cannot_answer(console_data, follow_up, login_as):
    auditor = login_as("auditor")
    detail = auditor.get(f"/console/ratings/follow-ups/{follow_up}").get_data(as_text=True)
    assert "王** · 138****5678" in detail and "发布并推送给市民" not in detail
    assert auditor.post(f"/console/ratings/follow-ups/{follow_up}/answer", data={"reply": "x"}).status_code == 403
