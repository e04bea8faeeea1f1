"""Applicants table, counts, masking, the Excel export and directed invitations."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import Application, ApplicationStatus, AuditLog, db
from services.admin import exports


def test_table_filters_and_counts(login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 6, categories=["人大代表", "媒体记者"], streets=["采育镇", "礼贤镇", "榆垡镇"])
    client = login_as("unit_a")
    page = client.get(f"/console/events/{console_data.event_a_id}/applications").get_data(as_text=True)
    assert "按类别统计" in page and "<td>人大代表</td><td>3</td>" in page and "<td>礼贤镇</td><td>2</td>" in page
    page = client.get(f"/console/events/{console_data.event_a_id}/applications?category=媒体记者&street=礼贤镇")
    text = page.get_data(as_text=True)
    assert "共 1 条" in text


def test_mobiles_are_clear_for_staff_and_masked_for_auditors(login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 1)
    url = f"/console/events/{console_data.event_a_id}/applications"
    staff_page = login_as("unit_a").get(url).get_data(as_text=True)
    auditor_page = login_as("auditor").get(url).get_data(as_text=True)
    with_mobile = [line for line in staff_page.splitlines() if "138000" in line]
    assert with_mobile and "****" not in with_mobile[0]
    assert "138****" in auditor_page and "138000000" not in auditor_page and "申*" in auditor_page


def test_export_is_an_excel_file_logged_in_the_audit_log(app, login_as, console_data, make_applicants):
    ids = make_applicants(console_data.event_a_id, 2)
    with app.app_context():
        db.session.get(Application, ids[0]).name = "=HYPERLINK(\"http://evil\",\"点我\")"
        db.session.get(Application, ids[1]).reason = "+1-2"
        db.session.commit()
    response = login_as("unit_a").get(f"/console/events/{console_data.event_a_id}/applications.xlsx?category=人大代表")
    assert response.status_code == 200 and response.mimetype == exports.XLSX_MIMETYPE
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["B1"].value == "姓名" and sheet.max_row == 2  # filter applied: one 人大代表
    assert sheet["B2"].value.startswith("'=HYPERLINK") and sheet["B2"].data_type == "s"
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "applications.export"))
        assert entry.actor_id == console_data.users["unit_a"] and entry.after == {"rows": 1, "category": "人大代表"}


def test_neutralise_prefixes_every_formula_starter():
    for value in ("=1+1", "+86", "-5", "@SUM(A1)", "\t=1"):
        assert exports.neutralise(value) == "'" + value
    assert exports.neutralise("张三") == "张三" and exports.neutralise(5) == 5 and exports.neutralise(None) is None


def test_auditor_cannot_export(login_as, console_data):
    response = login_as("auditor").get(f"/console/events/{console_data.event_a_id}/applications.xlsx")
    assert response.status_code == 403


def test_invitations_take_reserved_selected_seats(app, login_as, console_data):
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/invitations"
    response = client.post(url, data={"name": "李代表", "mobile": "13911112222", "category": "人大代表",
                                      "note": "区人大代表"})
    assert response.status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(Application).where(Application.invited.is_(True)))
        assert invitation.status == ApplicationStatus.SELECTED and invitation.citizen_id is None
        assert invitation.name == "李代表" and invitation.selected_at is not None
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "invitation.add")) is not None
        invitation_id = invitation.id
    page = client.get(f"/console/events/{console_data.event_a_id}/applications").get_data(as_text=True)
    assert "李代表" in page and "定向邀请" in page
    client.post(f"{url}/{invitation_id}/remove")
    with app.app_context():
        assert db.session.get(Application, invitation_id).status == ApplicationStatus.CANCELLED


def test_an_invalid_invitation_keeps_what_was_typed(login_as, console_data):
    client = login_as("unit_a")
    response = client.post(f"/console/events/{console_data.event_a_id}/invitations",
                           data={"name": "赵六", "mobile": "12345", "category": "人大代表", "note": "我的备注"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写 11 位手机号码" in page
    assert 'value="赵六"' in page and 'value="我的备注"' in page


def test_viewing_clear_mobiles_is_logged_and_masked_views_are_not(app, login_as, console_data, make_applicants):
    from models import AuditLog, db

    make_applicants(console_data.event_a_id, 2)
    url = f"/console/events/{console_data.event_a_id}/applications"
    assert login_as("unit_a").get(url).status_code == 200
    assert login_as("auditor").get(url).status_code == 200  # masked: nothing personal was shown
    with app.app_context():
        views = db.session.scalars(select(AuditLog).where(AuditLog.action == "applications.view_personal")).all()
        assert [(v.actor_label, v.object_id) for v in views] == [("unit_a", str(console_data.event_a_id))]
