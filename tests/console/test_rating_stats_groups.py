"""好差评 statistics by topic and by month, on the statistics page and in its Excel export."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from models import db
from services.admin import stats
from services.calendar import clock
from tests.console.rating_data import make_ratings

LATER = dt.datetime(2026, 6, 1, 9, 0, tzinfo=clock.SHANGHAI)  # OD-08's follow-up is long overdue


def _setup(app, console_data) -> None:
    with app.app_context():
        make_ratings(db.session, console_data.users["coordinator"])


def _by_name(rows: list[dict]) -> dict[str, tuple]:
    return {r["name"]: (r["invitations"], r["ratings"], r["satisfaction_rate"], r["response_rate"], r["bad"],
                        r["on_time_rate"]) for r in rows}


def test_rates_by_topic_and_by_month(app, console_data):
    _setup(app, console_data)
    with app.app_context():
        rated = stats.compute(db.session, stats.Scope(), LATER)["ratings"]
    assert _by_name(rated["by_topic"]) == {
        "优化营商环境": (4, 3, 66.7, 75.0, 1, 100.0),
        "保障改善民生": (3, 2, 50.0, 66.7, 1, 0.0),
        "政策专属礼包": (1, 1, 100.0, 100.0, 0, None),
    }
    assert _by_name(rated["by_month"]) == {
        "2026-03": (4, 3, 66.7, 75.0, 1, 100.0),
        "2026-04": (4, 3, 66.7, 75.0, 1, 0.0),
    }
    assert (rated["total"]["ratings"], rated["total"]["satisfaction_rate"], rated["total"]["on_time_rate"]) == (
        6, 66.7, 50.0)


def test_a_unit_sees_its_own_topics_and_months(app, console_data):
    _setup(app, console_data)
    with app.app_context():
        rated = stats.compute(db.session, stats.Scope(unit_id=console_data.unit_a_id), LATER)["ratings"]
    assert _by_name(rated["by_topic"]) == {"保障改善民生": (3, 2, 50.0, 66.7, 1, 0.0)}
    assert _by_name(rated["by_month"]) == {"2026-04": (3, 2, 50.0, 66.7, 1, 0.0)}


def test_page_and_workbook_show_the_same_numbers(app, console_data, login_as):
    _setup(app, console_data)
    client = login_as("coordinator")
    with clock.frozen(LATER):
        page = client.get("/console/stats").get_data(as_text=True)
        response = client.get("/console/stats/export.xlsx")
    topic_table = page.split('id="rating-by-topic"')[1].split("</table>")[0]
    month_table = page.split('id="rating-by-month"')[1].split("</table>")[0]
    assert "保障改善民生" in topic_table and "50.0%" in topic_table and "66.7%" in topic_table
    assert "2026-03" in month_table and "2026-04" in month_table and "75.0%" in month_table
    book = load_workbook(io.BytesIO(response.data))
    rating_sheets = ["满意度按单位", "满意度按专题", "满意度按月份", "满意度按活动"]
    first = book.sheetnames.index(rating_sheets[0])
    assert book.sheetnames[first:first + 4] == rating_sheets
    topics = {row[0]: row[1:] for row in book["满意度按专题"].iter_rows(min_row=2, values_only=True)}
    assert topics["保障改善民生"] == (3, 2, 0, 0.5, 0.667, 1, 1, 0, 0.0)
    months = {row[0]: row[1:] for row in book["满意度按月份"].iter_rows(min_row=2, values_only=True)}
    assert months["2026-03"] == (4, 3, 0, 0.667, 0.75, 1, 1, 1, 1.0)
    assert months["2026-04"] == (4, 3, 0, 0.667, 0.75, 1, 1, 0, 0.0)
    units = {row[0]: row[1:] for row in book["满意度按单位"].iter_rows(min_row=2, values_only=True)}
    assert units["采育镇"][3] == 0.5
    summary = dict(book["概况"].iter_rows(min_row=2, values_only=True))
    assert (summary["满意率"], summary["差评按期办结率"]) == (0.667, 0.5)
