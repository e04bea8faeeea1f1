"""The draw page: seats minus invitations, quotas checked in words, background draw, result, confirmation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Application, ApplicationStatus, AuditLog, Event, OutboxMessage, SelectionRun, db
from services import selection
from services.calendar import clock
from services.programme import event_admin


def _invite(app, event_id, n=2):
    with app.app_context():
        for i in range(n):
            event_admin.add_invitation(db.session, event_id, f"邀请{i}", "", "人大代表", "", None, clock.now())
        db.session.commit()


def _quota_form(rows: dict[int, tuple[int, int]], seed: str = "") -> dict:
    """Form fields for the six categories (index → (min, max)); others 0–30."""
    data = {"seed": seed}
    for index in range(6):
        low, high = rows.get(index, (0, 30))
        data[f"min-{index}"], data[f"max-{index}"] = str(low), str(high)
    return data


def _run_to_the_end(app, event_id) -> SelectionRun:
    with app.app_context():
        run_id = db.session.scalar(select(SelectionRun.id).where(SelectionRun.event_id == event_id)
                                   .order_by(SelectionRun.id.desc()))
    assert selection.wait_for_background(run_id, timeout=120)
    with app.app_context():
        run = db.session.get(SelectionRun, run_id)
        db.session.expunge(run)
        return run


def test_page_shows_seats_minus_invitations_and_default_quotas(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 12)
    _invite(app, console_data.event_a_id)
    page = login_as("unit_a").get(f"/console/events/{console_data.event_a_id}/selection").get_data(as_text=True)
    assert '<div class="num">28</div><div>本次待抽取</div>' in page
    assert 'name="min-0" value="2"' in page  # 人大代表: 3 of 30 seats, scaled to 28 and rounded down
    # Fewer applicants than seats: explained before anyone presses the button, and nothing to fix.
    assert "报名人数（12 人）不超过待抽取席位（28 个），全体报名者入选，未进行抽签" in page
    assert "按当前配额无法完成遴选" not in page


def test_impossible_quotas_are_explained_and_kept(login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 40)
    client = login_as("unit_a")
    response = client.post(f"/console/events/{console_data.event_a_id}/selection/draw",
                           data=_quota_form({4: (5, 3)}, seed="123"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "“媒体记者”的下限 5 大于上限 3" in page
    assert 'name="min-4" value="5"' in page and 'value="123"' in page
    response = client.post(f"/console/events/{console_data.event_a_id}/selection/draw", data=_quota_form({0: (-1, 3)}))
    assert response.status_code == 400 and "应为不小于 0 的整数" in response.get_data(as_text=True)


def test_draw_in_background_then_confirm_sends_notices(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 40)
    _invite(app, console_data.event_a_id)
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    response = client.post(f"{url}/draw", data=_quota_form({}, seed="20260302"))
    assert response.status_code == 302
    run = _run_to_the_end(app, console_data.event_a_id)
    assert run.status.value == "done" and run.seed == 20260302 and len(run.result["selected"]) == 28
    status = client.get(f"{url}/status.json").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    page = client.get(url).get_data(as_text=True)
    assert "20260302" in page and "入选名单（28 人）" in page and "候补顺序（12 人）" in page
    assert "确认并发送通知" in page and "最晚应于 2026-03-31" in page
    page = client.post(f"{url}/confirm", data={"run_id": run.id, "early_reason": "遴选日提前"}, follow_redirects=True).get_data(as_text=True)
    assert "入选 28 人、候补 12 人、未入选 0 人" in page and "遴选结果已于" in page
    assert f'<a id="public-record-link" href="/events/{console_data.event_a_id}/draw">查看遴选公示页面</a>' in page
    with app.app_context():
        notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("selection_%"))).all()
        assert len(notices) == 40
        invited = db.session.scalars(select(Application).where(Application.invited.is_(True))).all()
        assert all(a.checkin_code and a.status == ApplicationStatus.SELECTED for a in invited)
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"selection.run", "selection.confirm"} <= actions
    response = client.post(f"{url}/draw", data=_quota_form({}), follow_redirects=True)
    assert "不能再次遴选" in response.get_data(as_text=True)


def test_confirming_late_shows_a_warning(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 35)
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    client.post(f"{url}/draw", data=_quota_form({}, seed="7"))
    _run_to_the_end(app, console_data.event_a_id)
    with clock.frozen(dt.datetime(2026, 4, 1, 8, 0, tzinfo=clock.SHANGHAI)):  # the event's own morning
        page = client.get(url).get_data(as_text=True)
    assert "现已超过期限" in page and "2026-03-31" in page


def test_auditor_sees_the_result_without_forms(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 35)
    login_as("unit_a").post(f"/console/events/{console_data.event_a_id}/selection/draw", data=_quota_form({}, seed="9"))
    _run_to_the_end(app, console_data.event_a_id)
    page = login_as("auditor").get(f"/console/events/{console_data.event_a_id}/selection").get_data(as_text=True)
    assert "遴选结果" in page and "确认并发送通知" not in page and "开始遴选</button>" not in page
    assert "138****" in page


def test_an_undersubscribed_event_is_drawn_with_everyone_selected(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 13)
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    assert "全体报名者入选" in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/draw", data=_quota_form({0: (3, 6), 4: (2, 4)}, seed="55"))
    assert response.status_code == 302
    run = _run_to_the_end(app, console_data.event_a_id)
    assert run.status.value == "done" and len(run.result["selected"]) == 13
    page = client.get(url).get_data(as_text=True)
    assert "入选名单（13 人）" in page and "无候补人员" in page
    assert "报名人数（13 人）不超过待抽取席位（30 个），全体报名者入选，未进行抽签" in page
    assert "全体入选（报名人数不超过席位，未抽签）" in page
    with app.app_context():
        assert db.session.get(Event, console_data.event_a_id).seats == 30  # the announcement is unchanged


def test_confirming_before_the_deadline_warns_asks_why_and_closes_applications(app, client, login_as, console_data,
                                                                              make_applicants):
    make_applicants(console_data.event_a_id, 35)
    staff = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    staff.post(f"{url}/draw", data=_quota_form({}, seed="11"))
    run = _run_to_the_end(app, console_data.event_a_id)
    page = staff.get(url).get_data(as_text=True)
    assert 'id="closes-early"' in page and "确认遴选结果后报名将立即截止" in page and 'name="early_reason"' in page
    assert "报名中" in client.get(f"/events/{console_data.event_a_id}").get_data(as_text=True)
    refused = staff.post(f"{url}/confirm", data={"run_id": run.id, "early_reason": "  "},
                         follow_redirects=True).get_data(as_text=True)
    assert "请填写提前确认的理由" in refused and "报名中" in client.get(f"/events/{console_data.event_a_id}").get_data(
        as_text=True), "nothing confirmed without a reason"
    page = staff.post(f"{url}/confirm", data={"run_id": run.id, "early_reason": "场地临时调整"},
                      follow_redirects=True).get_data(as_text=True)
    assert "报名已截止，此后不再接受报名" in page and "遴选已完成，报名已截止" in page
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "selection.confirm"))
        assert entry.after["early_reason"] == "场地临时调整" and entry.after["closed_applications_early"]
    public = client.get(f"/events/{console_data.event_a_id}").get_data(as_text=True)
    assert "报名已截止（遴选已完成）" in public and "报名中" not in public


def test_the_lowest_probability_counts_applicants_who_cannot_be_selected(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 60)  # categories in turn: 10 journalists
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    assert client.post(f"{url}/draw", data=_quota_form({4: (0, 0)}, seed="777")).status_code == 302
    run = _run_to_the_end(app, console_data.event_a_id)
    assert run.status.value == "done" and run.result["min_probability"] == 0.0
    page = client.get(url).get_data(as_text=True)
    assert '<dt>每位报名者的最低入选概率</dt><dd id="min-probability">0.0%</dd>' in page
    assert "“媒体记者”有 10 位报名者无法入选（入选概率为 0）：该类别的上限为 0" in page
    assert "其中 10 位报名者无法入选，原因见下" in page
    assert "<tr><td>媒体记者</td><td>0</td><td>0–0</td><td>0.0%</td></tr>" in page


def test_quotas_can_be_previewed_before_anyone_applies(app, login_as, console_data):
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    page = client.get(url).get_data(as_text=True)
    assert "预览配额效果" in page and 'name="expect-0"' in page
    data = _quota_form({0: (3, 6), 1: (3, 6), 2: (6, 12), 3: (6, 12), 4: (2, 4), 5: (0, 10)})
    expected = {0: 40, 1: 30, 2: 200, 3: 100, 4: 10, 5: 500}
    data |= {f"expect-{i}": str(n) for i, n in expected.items()} | {"street_cap": "4"}
    response = client.post(f"{url}/preview", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "配额预览（按预计报名 880 人估算，待抽取 30 席）" in page
    assert '<dd id="preview-min">2.0%</dd>' in page
    assert "<tr><td>其他群众</td><td>500</td><td>0–10</td><td>2.0%</td></tr>" in page
    assert "“其他群众”的上限 10 人起约束作用：每次抽出的名单都恰好有 10 人" in page
    assert 'name="expect-5" value="500"' in page  # the typed figures stay in the form
    with app.app_context():
        assert db.session.scalar(select(SelectionRun.id).where(SelectionRun.event_id == console_data.event_a_id)) is None


def test_a_preview_with_impossible_quotas_or_no_expected_pool_says_why(login_as, console_data):
    client = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection/preview"
    response = client.post(url, data=_quota_form({}))
    assert response.status_code == 400 and "请至少填写一个类别的预计报名人数" in response.get_data(as_text=True)
    data = _quota_form({0: (0, 5), 5: (0, 5)}) | {"expect-0": "50", "expect-5": "50"}
    data |= {f"max-{i}": "0" for i in (1, 2, 3, 4)}
    page = client.post(url, data=data).get_data(as_text=True)
    assert "各类别最多可入选 10 人（上限与报名人数取较小者），不足待抽取的 30 人" in page
    response = client.post(url, data=_quota_form({}) | {"expect-0": "很多"})
    assert response.status_code == 400 and "“人大代表”的预计报名人数应为不小于 0 的整数。" in response.get_data(as_text=True)
