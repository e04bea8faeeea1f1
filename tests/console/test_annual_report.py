"""The annual per-unit report (绩效考核): demo data plus a few rows, the figures checked by hand.

Judged on 2026-06-01, when every demo event of 2026 is over. 采育镇 has OD-08 and OD-09
(offline, so no announcement rule) plus one cancelled event; a draft and a 2025 event do
not count. OD-08 kept its selection notice and materials deadlines; OD-09 sent no notice
and published its materials late. Four suggestions on OD-08: adopted, partly, not
adopted, unanswered. Ratings (tests/console/rating_data.py): OD-08 一 4 (差评, overdue),
OD-09 一 2.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditLog, Event, EventStatus, Unit, db
from services.admin import annual
from services.calendar import clock
from services.participation import suggestions
from tests.console.rating_data import make_ratings
from tests.scheduler.fixtures import beijing, make_event

LATER = dt.datetime(2026, 6, 1, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def year_data(app, console_data):
    with app.app_context():
        session = db.session
        make_ratings(session, console_data.users["coordinator"])
        unit_a = session.get(Unit, console_data.unit_a_id)
        od08, od09 = session.get(Event, console_data.event_a_id), session.get(Event, console_data.event_a2_id)
        od08.selection_notified_at = beijing("2026-03-27 10:00")  # ≥ 1 working day before 04-01
        od08.materials_url, od08.materials_published_at = "https://zm.example.gov.cn/m/8", beijing("2026-04-02 17:00")
        od09.materials_url, od09.materials_published_at = "https://zm.example.gov.cn/m/9", beijing("2026-04-30 17:00")
        make_event(session, "2026-05-12 10:00", unit=unit_a, status=EventStatus.CANCELLED, title="采育镇开放日（取消）")
        make_event(session, "2026-05-20 10:00", unit=unit_a, status=EventStatus.DRAFT, title="采育镇开放日（草稿）")
        make_event(session, "2025-11-20 10:00", unit=unit_a, status=EventStatus.CLOSED, title="采育镇开放日（2025）")
        now = clock.now()
        made = [suggestions.create(session, f"o_y{i}", f"关于采育镇开放日的第{i}条建议", now, event_id=od08.id)
                for i in range(4)]
        for item, adoption in zip(made, ("adopted", "partly", "not_adopted"), strict=False):
            suggestions.reply(session, item.id, None, adoption, "感谢您的建议", "已研究", now)
        session.commit()


def _figures(row: annual.UnitYear) -> dict:
    return {"events": (row.planned, row.held, row.cancelled, row.upcoming, row.held_rate),
            "deadlines": {rule: (row.kept[rule], row.due[rule]) for rule in annual.RULES},
            "kept_rate": row.kept_rate,
            "suggestions": (row.suggestions, row.answered, row.adopted, row.adoption_rate),
            "ratings": (row.ratings, row.satisfaction_rate), "follow_ups": (row.on_time, row.judged, row.on_time_rate)}


def test_the_figures_a_coordinator_checks_by_hand(app, year_data):
    with app.app_context():
        report = annual.compute(db.session, 2026, LATER)
    rows = {row.name: row for row in report.rows}
    assert _figures(rows["采育镇"]) == {
        "events": (3, 2, 1, 0, 66.7),
        "deadlines": {"announcement": (0, 0), "selection_notice": (1, 2), "materials": (1, 2)},
        "kept_rate": 50.0,
        "suggestions": (4, 3, 2, 66.7),
        "ratings": (2, 50.0), "follow_ups": (0, 1, 0.0),
    }
    assert _figures(rows["观音寺街道"]) == {
        "events": (1, 1, 0, 0, 100.0),
        "deadlines": {"announcement": (0, 0), "selection_notice": (0, 1), "materials": (0, 1)},
        "kept_rate": 0.0, "suggestions": (0, 0, 0, None),
        "ratings": (3, 66.7), "follow_ups": (1, 1, 100.0),
    }
    # OD-03 (hybrid) was announced on 03-02, well before 03-18: kept.
    assert rows["天宫院街道"].kept["announcement"] == rows["天宫院街道"].due["announcement"] == 1
    assert report.total.planned == 20 and report.total.held == 19 and report.total.cancelled == 1
    assert report.total.ratings == 6 and report.total.suggestions == 4


def test_another_year_and_a_judgement_before_the_events(app, year_data):
    with app.app_context():
        assert [r.name for r in annual.compute(db.session, 2025, LATER).rows] == ["采育镇"]
        early = {r.name: r for r in annual.compute(db.session, 2026, beijing("2026-03-09 12:00")).rows}
    # On 03-09 林校路街道's OD-02 (03-16) is still to come and none of its deadlines has been reached;
    # 观音寺街道's OD-01 (03-12) is still to come, but its selection notice (due 03-11) is not yet late either.
    row = early["林校路街道"]
    assert (row.planned, row.held, row.upcoming, row.due_total, row.kept_rate) == (1, 0, 1, 0, None)
    assert (early["观音寺街道"].held, early["观音寺街道"].due_total) == (0, 0)


def test_page_for_a_coordinator_and_for_unit_staff(app, year_data, login_as):
    with clock.frozen(LATER):
        page = login_as("coordinator").get("/console/annual?year=2026").get_data(as_text=True)
        own = login_as("unit_a").get("/console/annual").get_data(as_text=True)
        assert login_as("auditor").get("/console/annual").status_code == 403
    row = page.split('data-unit="采育镇"')[1].split("</tr>")[0]
    assert all(f">{text}<" in row for text in ("3", "66.7%", "1/2", "50.0%", "0/1", "0.0%"))
    assert 'data-unit="合计"' in page and 'data-unit="观音寺街道"' in page
    assert 'data-unit="采育镇"' in own and "观音寺街道" not in own and 'data-unit="合计"' not in own


def test_a_bad_year_is_explained_and_this_years_report_shown(app, year_data, login_as):
    client = login_as("coordinator")
    with clock.frozen(LATER):
        page = client.get("/console/annual?year=20x6").get_data(as_text=True)
        refused = client.get("/console/annual/export.xlsx?year=1900")
    assert "年份无效" in page and 'data-unit="采育镇"' in page
    assert refused.status_code == 400 and "年份无效" in refused.get_data(as_text=True)


def test_export_is_audited_formula_safe_and_a_unit_gets_its_own_row(app, console_data, year_data, login_as):
    with app.app_context():
        db.session.get(Unit, console_data.unit_b_id).name = '=HYPERLINK("http://evil.example","点我")'
        db.session.commit()
    with clock.frozen(LATER):
        whole = login_as("coordinator").get("/console/annual/export.xlsx?year=2026")
        own = login_as("unit_a").get("/console/annual/export.xlsx?year=2026")
    book = load_workbook(io.BytesIO(whole.data))
    assert book.sheetnames == ["2026年度绩效", "报备与分派", "说明"]
    rows = {r[0]: r[1:] for r in book["2026年度绩效"].iter_rows(min_row=2, values_only=True)}
    assert rows["采育镇"] == (3, 2, 1, 0, 0.667, "0/0", "1/2", "1/2", 0.5, 4, 3, 2, 0.75, 0.667,
                            2, 0.5, 1, "0/1", 0.0)
    # Issue 26 (14): rates are numbers Excel formats as percentages, not text.
    sheet = book["2026年度绩效"]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "采育镇")
    rates = [cell for header, cell in zip(headers, row, strict=True) if header.endswith("率")]
    assert len(rates) == 6 and all(isinstance(c.value, int | float) and c.number_format == "0.0%" for c in rates)
    assert '\'=HYPERLINK("http://evil.example","点我")' in rows and rows["合计"][0] == 20
    assert all(not str(c.value).startswith("=") for r in book.active.iter_rows() for c in r if c.value)
    mine = [r[0] for r in load_workbook(io.BytesIO(own.data)).active.iter_rows(min_row=2, values_only=True)]
    assert mine == ["采育镇"]
    with app.app_context():
        entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "annual.export")
                                     .order_by(AuditLog.id)).all()
        assert [(e.actor_id, e.note) for e in entries] == [
            (console_data.users["coordinator"], "year=2026 unit=all"),
            (console_data.users["unit_a"], f"year=2026 unit={console_data.unit_a_id}")]
    log = login_as("coordinator").get("/console/audit").get_data(as_text=True)
    assert "导出年度绩效统计" in log
