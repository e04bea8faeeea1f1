"""Staff pages and what people typed: exports write whatever is stored, forms clean text and answer an
unknown id or a malformed value with a Chinese form error (never a 500, never WTForms' English)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Application, Event, Suggestion, db
from services.calendar import clock
from services.intake import FORM_MESSAGES
from tests.console.test_events import create, form_data

pytestmark = pytest.mark.postgres
ENGLISH = [message for message in FORM_MESSAGES if "%" not in message] + ["Not a valid", "This field", "Invalid"]


def english_in(page: str) -> list[str]:
    return [message for message in ENGLISH if message in page]


def test_an_applicant_stored_with_control_characters_is_exported_and_the_formula_guard_holds(
        app, login_as, console_data, make_applicants):
    # Rows stored before text was cleaned on the way in: U+0001, U+000B, U+001F and a formula behind them.
    ids = make_applicants(console_data.event_a_id, 2)
    with app.app_context():
        db.session.get(Application, ids[0]).reason = "希望\x01了解\x0b政策\x1f"
        db.session.get(Application, ids[1]).reason = "\x01=HYPERLINK(\"http://evil\",\"点我\")"
        db.session.get(Application, ids[1]).name = "\x1f张三"
        db.session.commit()
    for role in ("unit_a", "coordinator"):
        response = login_as(role).get(f"/console/events/{console_data.event_a_id}/applications.xlsx")
        assert response.status_code == 200, f"{role}: {response.status_code}"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    reasons = sorted(row[9] for row in rows.values())
    assert reasons == ["'=HYPERLINK(\"http://evil\",\"点我\")", "希望了解政策"]
    assert "张三" in {row[1] for row in rows.values()}


def test_every_text_a_staff_member_types_is_cleaned_before_it_is_stored(app, login_as, console_data):
    client = login_as("unit_a")
    response = client.post("/console/events/new", data=form_data(
        title="政务开放日\x01·\u202e测试活动", agenda="1. 参观\r\n2. 座谈\x0b", place="采育镇\u2066会议室\u2069"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(Event).order_by(Event.id.desc()).limit(1))
        assert (event.title, event.agenda, event.place) == ("政务开放日·测试活动", "1. 参观\n2. 座谈", "采育镇会议室")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("topic_id", "99999", "所选专题不存在，请从列表中重新选择。"),
    ("unit_id", "99999", "所选主责单位不存在，请从列表中重新选择。"),
    ("topic_id", "abc", "所选项无效，请从列表中重新选择。"),
    ("seats", "三十", "请填写整数。"),
    ("duration_minutes", "九十", "请填写时长"),
    ("apply_opens_at", "下周五", "请填写正确的日期和时间。"),
    ("selection_planned_on", "2026-13-45", "请填写正确的日期。"),
    ("kind", "party", "所选项不在可选范围内，请从列表中重新选择。"),
])
def test_an_unknown_id_or_a_malformed_value_is_a_chinese_form_error(app, login_as, console_data, field, value,
                                                                     message):
    client = login_as("coordinator")
    draft = create(client, unit_id=str(console_data.unit_a_id), title="草稿活动")
    data = form_data(**{"unit_id": str(console_data.unit_a_id), field: value})
    for url in ("/console/events/new", f"/console/events/{draft}/edit"):
        response = client.post(url, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in page, (url, page[-3000:])
        assert english_in(page) == [] and "政务开放日·测试活动" in page, "what was typed is kept"
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.title == "政务开放日·测试活动")) is None


def test_other_forms_given_unknown_ids_answer_without_an_error_page(app, login_as, console_data):
    client = login_as("coordinator")
    with app.app_context():
        suggestion = Suggestion(tracking_no="JY20260302-0001", text="建议增加周末开放场次。", created_at=clock.now(),
                                status="received")
        db.session.add(suggestion)
        db.session.commit()
        suggestion_id = suggestion.id
    attempts = [
        (f"/console/suggestions/{suggestion_id}/assign", {"assign-unit_id": "99999"}),
        (f"/console/suggestions/{suggestion_id}/assign", {"assign-unit_id": "x"}),
        (f"/console/suggestions/{suggestion_id}/reply", {"adoption": "maybe", "reason": "说明", "reply_text": "答复"}),
        ("/console/broadcasts/new", {"audience": "topic", "topic_id": "99999", "kind": "text", "content": "通知"}),
        ("/console/broadcasts/new", {"audience": "applicants", "event_id": "abc", "kind": "text", "content": "通知"}),
        (f"/console/events/{console_data.event_a_id}/invitations", {"name": "李代表", "category": "外星人"}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code in (200, 400), (url, response.status_code)
        assert english_in(page) == [], (url, english_in(page))
    for url in ("/console/suggestions?event_id=99999&unit_id=abc&date_from=昨天", "/console/stats?unit_id=99999",
                "/console/compliance?unit_id=abc&level=purple"):
        response = client.get(url)
        assert response.status_code == 200 and english_in(response.get_data(as_text=True)) == [], url
