"""The annual per-unit report for the performance evaluation (绩效考核): a page and its Excel export.

Coordinators see and export every unit; unit staff see and export their own row only.
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from console import NAV, bp
from console.access import scoped_unit_id, writers
from models import StaffRole, db
from services.admin import annual, coordination_stats, exports
from services.calendar import clock

NAV.append(("console.annual_report", "年度绩效", (StaffRole.COORDINATOR, StaffRole.UNIT)))
BAD_YEAR = "年份无效，请选择 {first}—{last} 之间的年份；下面显示的是 {year} 年的数据。"


def _year(now) -> tuple[int, str]:
    """The year asked for (default: this year) and the message about a bad one ('' when fine)."""
    raw = request.args.get("year", "").strip()
    this_year = clock.local(now).year
    if not raw:
        return this_year, ""
    try:
        return annual.check_year(raw), ""
    except annual.InvalidYear:
        return this_year, BAD_YEAR.format(first=annual.FIRST_YEAR, last=annual.LAST_YEAR, year=this_year)


@bp.get("/annual")
@writers
def annual_report():
    """The year's table: events against the plan, deadlines kept, suggestions, satisfaction, follow-ups."""
    now = clock.now()
    year, error = _year(now)
    unit_id = scoped_unit_id()
    report = annual.compute(db.session, year, now, unit_id)
    return render_template("console/annual.html", report=report, year=year, error=error,
                           years=annual.years(db.session, now), rules=annual.RULES, rule_headers=annual.RULE_HEADERS,
                           notes=annual.NOTES, show_total=unit_id is None,
                           coordination=coordination_stats.per_unit(db.session, annual.year_scope(year, unit_id), now))


@bp.get("/annual/export.xlsx")
@writers
def annual_export():
    """The year's report as an Excel workbook (formula injection neutralised; audited)."""
    now = clock.now()
    year, error = _year(now)
    if error:
        return Response(error, status=400, mimetype="text/plain")
    content = annual.export_workbook(db.session, year, current_user, now, scoped_unit_id(),
                                     ip=request.remote_addr or "")
    db.session.commit()
    filename = f"zhengmin-annual-{year}-{clock.local(now):%Y%m%d-%H%M}.xlsx"
    return Response(content, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
