"""Broadcasts: compose, preview, send through the outbox, quota, progress, permissions, escaping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Broadcast, BroadcastStatus, Citizen, OutboxMessage, OutboxStatus, StaffUser, db
from services.calendar import clock
from services.messaging import broadcasts


def _draft(client, **fields):
    """POST the compose form; returns the response (redirect to the draft on success)."""
    data = {"audience": "applicants", "kind": "text", "content": "明天上午9点半签到，请携带身份证。"}
    data.update(fields)
    return client.post("/console/broadcasts/new", data=data)


def _draft_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _rows(app, broadcast_id: int) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == broadcasts.subject_of(broadcast_id))))


def _follower(app, openid: str) -> None:
    with app.app_context():
        db.session.add(Citizen(openid=openid, created_at=clock.now()))
        db.session.commit()


def test_unit_staff_sends_to_their_event_applicants_once_per_person(app, console_data, login_as, make_applicants):
    make_applicants(console_data.event_a_id, 3)
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, event_id=console_data.event_a_id))
    page = client.get(f"/console/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert "共 3 人" in page and "确认发送" in page

    assert client.post(f"/console/broadcasts/{broadcast_id}/send").status_code == 302
    rows = _rows(app, broadcast_id)
    assert len(rows) == 3 and {r.purpose for r in rows} == {"broadcast"}
    assert all(r.payload["text"] == "明天上午9点半签到，请携带身份证。" for r in rows)

    # A second click (double submit, back button) never queues a second copy.
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    assert len(_rows(app, broadcast_id)) == 3
    with app.app_context():
        broadcast = db.session.get(Broadcast, broadcast_id)
        assert broadcast.status == BroadcastStatus.SENDING and broadcast.total == 3


def test_progress_counts_sent_and_failed_by_reason_then_reports(app, console_data, login_as, make_applicants):
    make_applicants(console_data.event_a_id, 4)
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, event_id=console_data.event_a_id))
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    first = client.get(f"/console/broadcasts/{broadcast_id}/progress.json").get_json()
    assert first["percent"] == 0 and first["pending"] == 4 and not first["done"]

    with app.app_context():  # what delivery workers do
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == broadcasts.subject_of(broadcast_id)).order_by(OutboxMessage.id)).all()
        rows[0].status = rows[1].status = OutboxStatus.SENT
        rows[2].status, rows[2].last_error_code, rows[2].last_error = OutboxStatus.FAILED, 43004, "require subscribe"
        db.session.commit()
    middle = client.get(f"/console/broadcasts/{broadcast_id}/progress.json").get_json()
    assert (middle["sent"], middle["failed"], middle["pending"], middle["percent"]) == (2, 1, 1, 75)
    assert middle["failures"] == [{"code": 43004, "error": "require subscribe", "count": 1, "label": "用户未关注公众号"}]

    with app.app_context():
        last = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == broadcasts.subject_of(broadcast_id), OutboxMessage.status == OutboxStatus.PENDING)).one()
        last.status = OutboxStatus.SENT
        db.session.commit()
    final = client.get(f"/console/broadcasts/{broadcast_id}/progress.json").get_json()
    assert final["done"] and final["percent"] == 100 and final["status"] == "done"
    page = client.get(f"/console/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert "发送报告" in page and "成功 3 人，失败 1 人" in page and "用户未关注公众号" in page


def test_all_followers_is_one_mass_row_with_clientmsgid_and_a_monthly_quota(app, console_data, login_as):
    _follower(app, "o_follower_1")
    _follower(app, "o_follower_2")
    client = login_as("coordinator")
    assert "剩余“全部关注用户”群发次数" in client.get("/console/broadcasts").get_data(as_text=True)
    sent_ids = []
    for n in range(4):
        broadcast_id = _draft_id(_draft(client, audience="all", content=f"第{n}期政民互动活动预告"))
        client.post(f"/console/broadcasts/{broadcast_id}/send")
        sent_ids.append(broadcast_id)
    rows = _rows(app, sent_ids[0])
    assert len(rows) == 1 and rows[0].purpose == "broadcast_mass" and rows[0].recipient == "@all"
    assert rows[0].payload["clientmsgid"] == f"bc{sent_ids[0]}" and rows[0].payload["is_to_all"] is True

    fifth = _draft_id(_draft(client, audience="all", content="第五次"))
    page = client.post(f"/console/broadcasts/{fifth}/send", follow_redirects=True).get_data(as_text=True)
    assert "本月群发次数已用完" in page and _rows(app, fifth) == []
    with app.app_context():
        assert broadcasts.mass_quota(db.session, clock.now())["remaining"] == 0


def test_quota_is_per_calendar_month_in_beijing(app, console_data):
    import datetime as dt

    with app.app_context():
        broadcast = Broadcast(audience_kind="all", content="x", status=BroadcastStatus.DONE, created_at=clock.now(),
                              sent_at=dt.datetime(2026, 2, 28, 23, 30, tzinfo=clock.SHANGHAI))
        db.session.add(broadcast)
        db.session.commit()
        # 2026-02-28 23:30 Beijing is still February: March's quota is untouched.
        assert broadcasts.mass_quota(db.session, clock.now())["used"] == 0
        feb = dt.datetime(2026, 2, 10, 9, 0, tzinfo=clock.SHANGHAI)
        assert broadcasts.mass_quota(db.session, feb)["used"] == 1


def test_topic_followers_segment(app, console_data, login_as):
    from models import Topic

    with app.app_context():
        topic = db.session.scalars(select(Topic).order_by(Topic.id)).first()
        db.session.add_all([Citizen(openid="o_topic_1", created_at=clock.now(), topics=[topic]),
                            Citizen(openid="o_topic_2", created_at=clock.now(), topics=[topic], following=False),
                            Citizen(openid="o_other", created_at=clock.now())])
        db.session.commit()
        topic_id = topic.id
    client = login_as("coordinator")
    broadcast_id = _draft_id(_draft(client, audience="topic", topic_id=topic_id))
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    assert [r.recipient for r in _rows(app, broadcast_id)] == ["o_topic_1"]


def test_selected_audience_only_reaches_selected_people(app, console_data, login_as, make_applicants):
    from models import Application, ApplicationStatus

    ids = make_applicants(console_data.event_a_id, 3)
    with app.app_context():
        db.session.get(Application, ids[0]).status = ApplicationStatus.SELECTED
        db.session.get(Application, ids[1]).status = ApplicationStatus.CHECKED_IN
        db.session.commit()
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, audience="selected", event_id=console_data.event_a_id))
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    assert len(_rows(app, broadcast_id)) == 2


@pytest.mark.parametrize("fields", [{"audience": "all"}, {"audience": "topic", "topic_id": 1}])
def test_unit_staff_may_not_broadcast_to_all_or_a_topic(console_data, login_as, fields):
    assert _draft(login_as("unit_a"), **fields).status_code == 403


def test_unit_staff_may_not_reach_another_units_event(console_data, login_as, make_applicants):
    make_applicants(console_data.event_b_id, 2)
    assert _draft(login_as("unit_a"), event_id=console_data.event_b_id).status_code == 403


def test_preview_goes_to_the_staff_members_own_openid(app, console_data, login_as, make_applicants):
    make_applicants(console_data.event_a_id, 1)
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, event_id=console_data.event_a_id))
    page = client.post(f"/console/broadcasts/{broadcast_id}/preview", follow_redirects=True).get_data(as_text=True)
    assert "尚未绑定微信" in page
    with app.app_context():
        db.session.get(StaffUser, console_data.users["unit_a"]).openid = "o_staff_unit_a"
        db.session.commit()
    client.post(f"/console/broadcasts/{broadcast_id}/preview")
    with app.app_context():
        previews = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "broadcast_preview")).all()
        assert [p.recipient for p in previews] == ["o_staff_unit_a"]
        assert db.session.get(Broadcast, broadcast_id).status == BroadcastStatus.DRAFT


def test_a_link_needs_a_valid_url_and_the_form_keeps_what_was_typed(console_data, login_as):
    response = _draft(login_as("coordinator"), audience="all", kind="link", title="2026年政务开放日专题",
                      content="欢迎报名", url="javascript:alert(1)")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "有效链接" in page
    assert "2026年政务开放日专题" in page and "javascript:alert(1)" in page


def test_link_message_carries_an_anchor(app, console_data, login_as):
    _follower(app, "o_follower_1")
    client = login_as("coordinator")
    broadcast_id = _draft_id(_draft(client, audience="all", kind="link", title="开放日回顾", content="",
                                    url="https://www.bjdx.gov.cn/zwgk/1.html"))
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    text = _rows(app, broadcast_id)[0].payload["text"]
    assert text == '开放日回顾\n<a href="https://www.bjdx.gov.cn/zwgk/1.html">点击阅读全文</a>'


def test_content_is_shown_escaped(console_data, login_as, make_applicants):
    make_applicants(console_data.event_a_id, 1)
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, event_id=console_data.event_a_id, content="<script>alert('x')</script>"))
    page = client.get(f"/console/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_sends_are_audited(app, console_data, login_as, make_applicants):
    from models import AuditLog

    make_applicants(console_data.event_a_id, 1)
    client = login_as("unit_a")
    broadcast_id = _draft_id(_draft(client, event_id=console_data.event_a_id))
    client.post(f"/console/broadcasts/{broadcast_id}/send")
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "broadcast")).all()
        assert actions == ["broadcast.save", "broadcast.send"]


def test_unit_history_is_scoped(app, console_data, login_as, make_applicants):
    make_applicants(console_data.event_b_id, 1)
    broadcast_id = _draft_id(_draft(login_as("unit_b"), event_id=console_data.event_b_id, content="只给观音寺"))
    client = login_as("unit_a")
    assert "只给观音寺" not in client.get("/console/broadcasts").get_data(as_text=True)
    assert client.get(f"/console/broadcasts/{broadcast_id}").status_code == 403
    assert "只给观音寺" in login_as("auditor").get("/console/broadcasts").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Broadcast.id))) == 1
