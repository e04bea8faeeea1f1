"""Statistics: numbers, unit scoping, working-day response time, charts served locally, Excel export."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import Application, ApplicationStatus, AuditLog, Event, db
from services.admin import stats
from services.calendar import clock
from services.participation import suggestions


def _setup(app, console_data, make_applicants) -> None:
    """Event A: 5 applicants (2 selected, 1 of them checked in, 1 cancelled); suggestions with replies."""
    ids = make_applicants(console_data.event_a_id, 5)
    make_applicants(console_data.event_b_id, 4)
    with app.app_context():
        db.session.get(Application, ids[0]).status = ApplicationStatus.SELECTED
        db.session.get(Application, ids[1]).status = ApplicationStatus.CHECKED_IN
        db.session.get(Application, ids[2]).status = ApplicationStatus.CANCELLED
        now = clock.now()
        made = [suggestions.create(db.session, f"o_s{i}", f"第{i}条关于采育镇活动的建议", now,
                                   event_id=console_data.event_a_id) for i in range(3)]
        suggestions.create(db.session, "o_g", "建议公众号增加办事指南栏目", now)
        suggestions.reply(db.session, made[0].id, None, "adopted", "好的", "纳入计划", now)
        suggestions.reply(db.session, made[1].id, None, "not_adopted", "暂不", "条件不具备", now)
        db.session.commit()


def test_numbers_for_a_unit(app, console_data, make_applicants):
    _setup(app, console_data, make_applicants)
    with app.app_context():
        data = stats.compute(db.session, stats.Scope(unit_id=console_data.unit_a_id))
    assert (data["applicants"], data["selected"], data["attended"]) == (4, 2, 1)
    summary = data["suggestions"]
    assert (summary["total"], summary["replied"], summary["open"]) == (3, 2, 1)
    assert summary["adoption_rate"] == 50.0 and summary["adoption"]["采纳"] == 1
    assert summary["response_avg_days"] == 0 and summary["within_5_days"] == 100.0


def test_response_time_counts_working_days_on_the_official_calendar():
    from models import Suggestion

    # Friday 2026-02-27 → Monday 2026-03-02: Saturday 02-28 is a make-up working day.
    suggestion = Suggestion(created_at=dt.datetime(2026, 2, 27, 10, 0, tzinfo=clock.SHANGHAI),
                            replied_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI))
    assert stats.response_days(suggestion) == 2


def test_page_shows_numbers_and_is_scoped_for_unit_staff(app, console_data, login_as, make_applicants):
    _setup(app, console_data, make_applicants)
    coordinator = login_as("coordinator").get("/console/stats").get_data(as_text=True)
    assert "采纳率" in coordinator and "综合（未关联活动）" in coordinator and "观音寺街道" in coordinator
    page = login_as("unit_a").get(f"/console/stats?unit_id={console_data.unit_b_id}").get_data(as_text=True)
    assert "综合（未关联活动）" not in page and "50.0%" in page
    with app.app_context():
        title_b = db.session.get(Event, console_data.event_b_id).title
    assert title_b not in page


def test_date_filter(app, console_data, login_as, make_applicants):
    _setup(app, console_data, make_applicants)
    page = login_as("coordinator").get("/console/stats?date_from=2025-01-01&date_to=2025-12-31").get_data(as_text=True)
    assert "暂无活动" in page


def test_charts_use_the_locally_served_chart_library(app, console_data, login_as):
    client = login_as("coordinator")
    page = client.get("/console/stats").get_data(as_text=True)
    assert "/console/static/vendor/chartjs/chart.umd.min.js" in page and "cdn" not in page.lower()
    asset = client.get("/console/static/vendor/chartjs/chart.umd.min.js")
    assert asset.status_code == 200 and b"Chart.js v4" in asset.data[:200]
    asset.close()


def test_export_is_an_audited_workbook_without_formulas(app, console_data, login_as, make_applicants):
    _setup(app, console_data, make_applicants)
    with app.app_context():
        db.session.get(Event, console_data.event_a_id).title = '=HYPERLINK("http://evil.example","点我")'
        db.session.commit()
    response = login_as("unit_a").get("/console/stats/export.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["活动", "概况", "按专题", "按单位", "满意度按单位", "满意度按专题", "满意度按月份", "满意度按活动", "报备与分派"]
    titles = [row[1] for row in book["活动"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example","点我")' in titles
    assert all(not str(cell.value).startswith("=") for row in book["活动"].iter_rows() for cell in row if cell.value)
    summary = dict(book["概况"].iter_rows(min_row=2, values_only=True))
    assert summary["报名人数"] == 4 and summary["采纳率（含部分采纳）"] == 0.5
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "stats.export")).one()
        assert entry.actor_id == console_data.users["unit_a"] and f"unit={console_data.unit_a_id}" in entry.note
