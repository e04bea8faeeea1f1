"""Who may open what: suggestions, broadcasts, compliance, closing, statistics, outbox.

Every route × every role: anonymous → login page; unit staff of unit A on unit B's
objects → 403; auditors' writes → 403; coordinators get through.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Broadcast, OutboxMessage, db
from services.calendar import clock
from services.messaging import broadcasts, outbox
from services.participation import suggestions


@pytest.fixture
def objects(app, console_data, make_applicants):
    """Unit B's suggestion, broadcast (draft) and event; a general suggestion; a failed outbox row."""
    make_applicants(console_data.event_b_id, 2)
    with app.app_context():
        now = clock.now()
        from models import StaffUser

        unit_b = db.session.get(StaffUser, console_data.users["unit_b"])
        suggestion = suggestions.create(db.session, "o_b", "观音寺街道活动时间太早了", now, event_id=console_data.event_b_id)
        general = suggestions.create(db.session, "o_g", "建议公众号增加办事指南栏目", now)
        draft = broadcasts.save_draft(db.session, unit_b, "applicants", console_data.event_b_id, "text", "",
                                      "观音寺街道通知", "", now)
        row = outbox.enqueue(db.session, "o_b", "reminder", f"event:{console_data.event_b_id}", {"text": "x"}, now)
        row.status = "failed"
        db.session.commit()
        return {"s": suggestion.id, "g": general.id, "b": draft.id, "e": console_data.event_b_id, "o": row.id}


def routes(o: dict) -> list[tuple[str, str, dict, str]]:
    """(method, url, form data, kind): kind is read / write / coordinator; all on unit B's objects."""
    reply = {"adoption": "adopted", "reason": "理由", "reply_text": "答复"}
    return [
        ("GET", "/console/suggestions", {}, "read"),
        ("GET", f"/console/suggestions/{o['s']}", {}, "read-b"),
        ("GET", "/console/suggestions/drafts", {}, "write"),
        ("POST", f"/console/suggestions/{o['s']}/reply", reply, "write-b"),
        ("POST", f"/console/suggestions/{o['g']}/assign", {"assign-unit_id": "1"}, "coordinator"),
        ("POST", "/console/suggestions/drafts/publish", {"ids": [str(o["s"])]}, "write"),
        ("GET", "/console/broadcasts", {}, "read"),
        ("GET", "/console/broadcasts/new", {}, "write"),
        ("POST", "/console/broadcasts/new", {"audience": "applicants", "event_id": str(o["e"]), "kind": "text",
                                             "content": "通知"}, "write-b"),
        ("GET", f"/console/broadcasts/{o['b']}", {}, "read-b"),
        ("GET", f"/console/broadcasts/{o['b']}/progress.json", {}, "read-b"),
        ("GET", f"/console/broadcasts/{o['b']}/edit", {}, "write-b"),
        ("POST", f"/console/broadcasts/{o['b']}/edit", {"audience": "applicants", "event_id": str(o["e"]),
                                                        "kind": "text", "content": "改"}, "write-b"),
        ("POST", f"/console/broadcasts/{o['b']}/preview", {}, "write-b"),
        ("POST", f"/console/broadcasts/{o['b']}/send", {}, "write-b"),
        ("GET", "/console/compliance", {}, "read"),
        ("GET", "/console/closing", {}, "read"),
        ("GET", f"/console/events/{o['e']}/closing", {}, "read-b"),
        ("POST", f"/console/events/{o['e']}/closing", {"materials": "", "video_url": "", "note": "x"}, "write-b"),
        ("GET", "/console/stats", {}, "read"),
        ("GET", "/console/stats/export.xlsx", {}, "read"),
        ("GET", "/console/outbox", {}, "read"),
        ("POST", "/console/outbox/retry", {"ids": [str(o["o"])]}, "coordinator"),
    ]


def _call(client, method: str, url: str, data: dict):
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    response.close()
    return response


def test_anonymous_is_sent_to_the_login_page_everywhere(app, objects):
    client = app.test_client()
    wrong = []
    for method, url, data, _ in routes(objects):
        response = _call(client, method, url, data)
        if response.status_code != 302 or "/console/login" not in response.headers.get("Location", ""):
            wrong.append((method, url, response.status_code))
    assert wrong == []


def test_unit_staff_of_another_unit_get_403_on_unit_b_objects(objects, login_as):
    client = login_as("unit_a")
    wrong = []
    for method, url, data, kind in routes(objects):
        response = _call(client, method, url, data)
        expected_forbidden = kind.endswith("-b") or kind == "coordinator"
        if expected_forbidden and response.status_code != 403:
            wrong.append((method, url, response.status_code))
        if not expected_forbidden and response.status_code >= 403:
            wrong.append((method, url, response.status_code))
    assert wrong == []


def test_unit_b_staff_may_use_their_own_objects(objects, login_as):
    client = login_as("unit_b")
    wrong = [(m, u, r.status_code) for m, u, d, kind in routes(objects) if kind != "coordinator"
             for r in [_call(client, m, u, d)] if r.status_code in (401, 403, 404) or r.status_code >= 500]
    assert wrong == []


def test_auditors_read_but_every_write_is_403(objects, login_as):
    client = login_as("auditor")
    wrong = []
    for method, url, data, kind in routes(objects):
        response = _call(client, method, url, data)
        is_write = kind.startswith("write") or kind == "coordinator"
        if is_write and response.status_code != 403:
            wrong.append((method, url, response.status_code))
        if not is_write and response.status_code != 200:
            wrong.append((method, url, response.status_code))
    assert wrong == []


def test_coordinators_get_through_everywhere(app, objects, login_as):
    client = login_as("coordinator")
    wrong = []
    for method, url, data, _ in routes(objects):
        response = _call(client, method, url, data)
        location = response.headers.get("Location", "")
        if response.status_code in (401, 403, 404) or response.status_code >= 500 or "/console/login" in location:
            wrong.append((method, url, response.status_code))
    assert wrong == []
    with app.app_context():
        assert db.session.get(Broadcast, objects["b"]).status.value == "sending"
        assert db.session.get(OutboxMessage, objects["o"]).status.value == "pending"
        assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "broadcast")).all()
