"""``flask scheduler tick --at``: one pass of every job, against the real emulator."""

from __future__ import annotations

from models import ApplicationStatus, OutboxMessage, OutboxStatus, db
from tests.scheduler.fixtures import follow_all, make_event, make_participant


def test_tick_one_working_day_before_sends_each_participant_exactly_one_reminder(app, emulator):
    # Monday 2026-10-12 follows the National Day holiday and the make-up Saturday 10-10:
    # one working day before is Saturday 2026-10-10.
    with app.app_context():
        event = make_event(db.session, "2026-10-12 09:30", title="政务开放日·医保服务")
        for openid in ("o_a", "o_b", "o_c"):
            make_participant(db.session, event, openid)
        make_participant(db.session, event, "o_checked", status=ApplicationStatus.CHECKED_IN)
        make_participant(db.session, event, "o_waiting", status=ApplicationStatus.WAITLISTED)
        make_participant(db.session, event, "o_gone", following=False)
        make_participant(db.session, event, None, invited=True)  # directed invitee, told by phone
        db.session.commit()
    follow_all(emulator, "o_a", "o_b", "o_c", "o_checked", "o_waiting", "o_gone")
    runner = app.test_cli_runner()

    early = runner.invoke(args=["scheduler", "tick", "--at", "2026-10-09T09:05"])
    assert early.exit_code == 0, early.output
    assert emulator.messages(kind="template") == []

    first = runner.invoke(args=["scheduler", "tick", "--at", "2026-10-10T09:05"])
    assert first.exit_code == 0, first.output
    assert "活动提醒新增 4 条" in first.output
    cards = emulator.messages(kind="template")
    assert sorted(m["openid"] for m in cards) == ["o_a", "o_b", "o_c", "o_checked"]
    assert {f["label"]: f["value"] for f in cards[0]["payload"]["fields"]} == {
        "活动名称": "政务开放日·医保服务", "开始时间": "2026年10月12日 09:30", "活动地点": "清源街道政务服务大厅"}

    second = runner.invoke(args=["scheduler", "tick", "--at", "2026-10-10T09:05"])
    assert second.exit_code == 0, second.output
    assert "活动提醒新增 0 条" in second.output
    assert len(emulator.messages(kind="template")) == 4
    with app.app_context():
        rows = db.session.query(OutboxMessage).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        assert all(row.sent_channel == "template" and row.wechat_msgid for row in rows)
