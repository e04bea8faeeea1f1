"""Issue 26 (8): a staff member binds their own WeChat with a one-time code sent to the account, then previews."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers import texts
from models import AuditLog, OutboxMessage, StaffUser, db


def _code(page: str) -> str:
    return re.search(r'id="bind-code" class="bind-code">([A-Z0-9]{8})<', page).group(1)


def test_a_code_from_the_console_sent_in_the_chat_binds_that_wechat_and_previews_reach_it(
        app, console_data, login_as, wechat, make_applicants):
    make_applicants(console_data.event_a_id, 1)
    client = login_as("unit_a")
    page = client.get("/console/wechat-binding").get_data(as_text=True)
    assert "未绑定" in page and 'id="bind-code"' not in page
    code = _code(client.post("/console/wechat-binding/code").get_data(as_text=True))

    assert wechat.text("o_staff_phone", "绑定 WRONG234") == texts.STAFF_BIND_INVALID
    assert wechat.text("o_staff_phone", f"绑定 {code.lower()}").startswith("已将本微信绑定到政民互动管理平台账号")
    with app.app_context():
        staff = db.session.get(StaffUser, console_data.users["unit_a"])
        assert staff.openid == "o_staff_phone" and staff.openid_bound_at is not None and staff.bind_code_digest == ""
        bound = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff.wechat_bound")).one()
        assert bound.ip == "微信公众号"  # the address column says where it came from
    assert wechat.text("o_someone_else", f"绑定 {code}") == texts.STAFF_BIND_INVALID  # once only

    assert "已绑定" in client.get("/console/wechat-binding").get_data(as_text=True)
    draft = client.post("/console/broadcasts/new", data={
        "audience": "applicants", "kind": "text", "content": "预览测试", "event_id": console_data.event_a_id})
    broadcast_id = int(draft.headers["Location"].rstrip("/").split("/")[-1])
    shown = client.post(f"/console/broadcasts/{broadcast_id}/preview", follow_redirects=True).get_data(as_text=True)
    assert "预览已发送到您绑定的微信" in shown
    with app.app_context():
        assert [r.recipient for r in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "broadcast_preview"))] == ["o_staff_phone"]

    client.post("/console/wechat-binding/unbind")
    with app.app_context():
        assert db.session.get(StaffUser, console_data.users["unit_a"]).openid == ""


def test_an_expired_code_binds_nothing(app, console_data, login_as, wechat):
    import datetime as dt

    client = login_as("unit_a")
    code = _code(client.post("/console/wechat-binding/code").get_data(as_text=True))
    with app.app_context():
        staff = db.session.get(StaffUser, console_data.users["unit_a"])
        staff.bind_code_expires_at = staff.bind_code_expires_at - dt.timedelta(minutes=11)
        db.session.commit()
    assert wechat.text("o_staff_phone", f"绑定 {code}") == texts.STAFF_BIND_INVALID
    with app.app_context():
        assert db.session.get(StaffUser, console_data.users["unit_a"]).openid == ""
