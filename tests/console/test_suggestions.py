"""Suggestions inbox: scoping, filters, escaping, reply (pushed), drafts, bulk publish, assignment."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from models import AuditLog, OutboxMessage, Suggestion, SuggestionStatus, db
from services.calendar import clock
from services.participation import suggestions

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>停车位太少"


def _suggest(app, openid: str, text: str, event_id: int | None = None, at: dt.datetime | None = None) -> int:
    with app.app_context():
        suggestion = suggestions.create(db.session, openid, text, at or clock.now(), event_id=event_id)
        db.session.commit()
        return suggestion.id


def _reply(client, suggestion_id: int, **fields):
    data = {"adoption": "adopted", "reason": "已纳入明年工作计划", "reply_text": "感谢您的建议，我们将增设停车位。"}
    data.update(fields)
    return client.post(f"/console/suggestions/{suggestion_id}/reply", data=data)


def test_unit_staff_see_their_events_and_assigned_general_suggestions(app, console_data, login_as):
    own = _suggest(app, "o_1", "采育镇的活动很好，建议多办几场", console_data.event_a_id)
    other = _suggest(app, "o_2", "观音寺街道活动时间太早了", console_data.event_b_id)
    general = _suggest(app, "o_3", "建议公众号增加办事指南栏目")
    client = login_as("unit_a")
    page = client.get("/console/suggestions").get_data(as_text=True)
    assert "多办几场" in page and "时间太早" not in page and "办事指南" not in page
    assert client.get(f"/console/suggestions/{other}").status_code == 403
    assert client.get(f"/console/suggestions/{general}").status_code == 403
    assert client.get(f"/console/suggestions/{own}").status_code == 200

    coordinator = login_as("coordinator")
    assert all(t in coordinator.get("/console/suggestions").get_data(as_text=True) for t in ("多办几场", "时间太早", "办事指南"))
    coordinator.post(f"/console/suggestions/{general}/assign", data={"assign-unit_id": console_data.unit_a_id})
    assert "办事指南" in client.get("/console/suggestions").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion.assign")).one()
        assert entry.after == {"unit_id": console_data.unit_a_id}


def test_only_coordinators_assign_and_only_general_suggestions(app, console_data, login_as):
    general = _suggest(app, "o_3", "建议公众号增加办事指南栏目")
    about_event = _suggest(app, "o_1", "采育镇的活动很好，建议多办几场", console_data.event_a_id)
    assert login_as("unit_a").post(f"/console/suggestions/{general}/assign",
                                   data={"assign-unit_id": console_data.unit_a_id}).status_code == 403
    login_as("coordinator").post(f"/console/suggestions/{about_event}/assign",
                                 data={"assign-unit_id": console_data.unit_b_id})
    with app.app_context():
        assert db.session.get(Suggestion, about_event).unit_id == console_data.unit_a_id


def test_suggestion_text_is_escaped_everywhere(app, console_data, login_as):
    suggestion_id = _suggest(app, "o_1", XSS, console_data.event_a_id)
    client = login_as("unit_a")
    for url in ("/console/suggestions", f"/console/suggestions/{suggestion_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_publishing_a_reply_pushes_it_to_the_citizen(app, console_data, login_as):
    suggestion_id = _suggest(app, "o_citizen", "采育镇的活动很好，建议多办几场", console_data.event_a_id)
    response = _reply(login_as("unit_a"), suggestion_id)
    assert response.status_code == 302
    with app.app_context():
        suggestion = db.session.get(Suggestion, suggestion_id)
        assert suggestion.status == SuggestionStatus.REPLIED and suggestion.adoption.value == "adopted"
        pushed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "suggestion_reply")).all()
        assert [m.recipient for m in pushed] == ["o_citizen"]
        assert "增设停车位" in pushed[0].payload["text"]
    page = login_as("unit_a").get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "已发布的答复" in page and "已答复·采纳" in page


def test_a_reply_without_reason_is_refused_and_keeps_what_was_typed(app, console_data, login_as):
    suggestion_id = _suggest(app, "o_citizen", "采育镇的活动很好，建议多办几场", console_data.event_a_id)
    response = _reply(login_as("unit_a"), suggestion_id, adoption="not_adopted", reason="",
                      reply_text="暂时没有场地，明年再议")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写理由" in page and "暂时没有场地，明年再议" in page
    with app.app_context():
        assert db.session.get(Suggestion, suggestion_id).status == SuggestionStatus.RECEIVED
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_drafts_are_saved_then_published_in_bulk(app, console_data, login_as):
    first = _suggest(app, "o_1", "建议增加周末场次方便上班族", console_data.event_a_id)
    second = _suggest(app, "o_2", "建议现场提供手语翻译服务", console_data.event_a2_id)
    client = login_as("unit_a")
    _reply(client, first, action="draft", reason="", reply_text="我们会研究周末场次。")
    _reply(client, second, action="draft", reason="", reply_text="下次活动将安排手语翻译。")
    with app.app_context():
        assert db.session.get(Suggestion, first).reply_draft == "我们会研究周末场次。"
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion.draft")).all()) == 2
    assert "有草稿" in client.get("/console/suggestions?status=draft").get_data(as_text=True)

    page = client.get("/console/suggestions/drafts").get_data(as_text=True)
    assert "我们会研究周末场次" in page and "下次活动将安排手语翻译" in page
    response = client.post("/console/suggestions/drafts/publish", data={
        "ids": [str(first), str(second)], f"adoption-{first}": "partly", f"reason-{first}": "将在下半年试点",
        f"adoption-{second}": "adopted", f"reason-{second}": "",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "已发布 1 条答复" in page and "请填写理由" in page
    with app.app_context():
        assert db.session.get(Suggestion, first).status == SuggestionStatus.REPLIED
        assert db.session.get(Suggestion, first).reply == "我们会研究周末场次。"
        assert db.session.get(Suggestion, second).status == SuggestionStatus.RECEIVED
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_bulk_publish_ignores_other_units_suggestions(app, console_data, login_as):
    theirs = _suggest(app, "o_2", "观音寺街道活动时间太早了", console_data.event_b_id)
    _reply(login_as("unit_b"), theirs, action="draft", reason="", reply_text="草稿")
    login_as("unit_a").post("/console/suggestions/drafts/publish", data={
        "ids": [str(theirs)], f"adoption-{theirs}": "adopted", f"reason-{theirs}": "x"})
    with app.app_context():
        assert db.session.get(Suggestion, theirs).status == SuggestionStatus.RECEIVED


def test_filters_by_event_status_and_date(app, console_data, login_as):
    _suggest(app, "o_1", "关于第一场活动的建议内容", console_data.event_a_id,
             at=dt.datetime(2026, 2, 20, 10, 0, tzinfo=clock.SHANGHAI))
    _suggest(app, "o_2", "关于第二场活动的建议内容", console_data.event_a2_id)
    client = login_as("coordinator")
    page = client.get(f"/console/suggestions?event_id={console_data.event_a2_id}").get_data(as_text=True)
    assert "第二场" in page and "第一场" not in page
    page = client.get("/console/suggestions?date_from=2026-02-01&date_to=2026-02-28").get_data(as_text=True)
    assert "第一场" in page and "第二场" not in page
    page = client.get("/console/suggestions?status=replied").get_data(as_text=True)
    assert "第一场" not in page and "没有符合条件" in page


def test_auditor_reads_but_cannot_reply(app, console_data, login_as):
    suggestion_id = _suggest(app, "o_1", "采育镇的活动很好，建议多办几场", console_data.event_a_id)
    auditor = login_as("auditor")
    page = auditor.get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "多办几场" in page and "发布并推送给市民" not in page
    assert _reply(auditor, suggestion_id).status_code == 403


def test_a_draft_keeps_its_adoption_status_and_reason(app, console_data, login_as):
    suggestion_id = _suggest(app, "o_1", "建议增加周末场次方便上班族", console_data.event_a_id)
    client = login_as("unit_a")
    _reply(client, suggestion_id, action="draft", adoption="partly", reason="周末场次将在下半年试点",
           reply_text="我们会研究周末场次。")
    with app.app_context():
        stored = db.session.get(Suggestion, suggestion_id)
        assert stored.status == SuggestionStatus.RECEIVED
        assert stored.adoption is not None and stored.adoption.value == "partly"
        assert stored.adoption_reason == "周末场次将在下半年试点"
    detail = client.get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert re.search(r'<option[^>]*\bselected\b[^>]*value="partly"|<option[^>]*value="partly"[^>]*\bselected\b', detail)
    assert "周末场次将在下半年试点" in detail
    drafts = client.get("/console/suggestions/drafts").get_data(as_text=True)
    assert 'value="partly" selected' in drafts and 'value="周末场次将在下半年试点"' in drafts

    client.post("/console/suggestions/drafts/publish", data={"ids": [str(suggestion_id)],
                f"adoption-{suggestion_id}": "partly", f"reason-{suggestion_id}": "周末场次将在下半年试点"})
    with app.app_context():
        stored = db.session.get(Suggestion, suggestion_id)
        assert stored.status == SuggestionStatus.REPLIED and stored.adoption.value == "partly"
