"""Statistics: events, applicants, selected, attended, suggestions by topic and unit, adoption, response time."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from console import NAV, bp
from console.access import readers, scoped_unit_id
from console.forms_staff import StatsFilterForm
from models import Unit, db
from services.admin import coordination_stats, exports, stats
from services.calendar import clock

NAV.append(("console.stats_page", "统计", None))


def _scope() -> tuple[StatsFilterForm, stats.Scope]:
    """The filter form and the scope it describes (unit staff: always their unit)."""
    form = StatsFilterForm(request.args)
    form.unit_id.choices = [("", "全部单位")] + [
        (u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    form.validate()
    unit_id = scoped_unit_id() or form.unit_id.data
    return form, stats.Scope(form.date_from.data, form.date_to.data, unit_id)


def chart_data(data: dict) -> dict:
    """What stats.js draws: adoption breakdown, suggestions by topic and by unit, people per unit."""
    return {
        "adoption": {"labels": list(data["suggestions"]["adoption"]), "values": list(data["suggestions"]["adoption"].values())},
        "topics": {"labels": [g["name"] for g in data["by_topic"]], "total": [g["total"] for g in data["by_topic"]],
                   "adopted": [g["adopted"] for g in data["by_topic"]]},
        "units": {"labels": [g["name"] for g in data["by_unit"]], "total": [g["total"] for g in data["by_unit"]],
                  "adopted": [g["adopted"] for g in data["by_unit"]]},
        "people": {"labels": [u["name"] for u in data["units"]], "applicants": [u["applicants"] for u in data["units"]],
                   "selected": [u["selected"] for u in data["units"]], "attended": [u["attended"] for u in data["units"]]},
    }


@bp.get("/stats")
@readers
def stats_page():
    """Numbers, charts and tables for the chosen period and unit."""
    form, scope = _scope()
    data = stats.compute(db.session, scope, clock.now())
    return render_template("console/stats.html", form=form, data=data, charts=chart_data(data),
                           export_args={k: v for k, v in request.args.items() if v},
                           coordination=coordination_stats.per_unit(db.session, scope, clock.now()))


@bp.get("/stats/export.xlsx")
@readers
def stats_export():
    """The statistics as an Excel workbook (formula injection neutralised; audited)."""
    _, scope = _scope()
    now = clock.now()
    content = stats.export_workbook(db.session, scope, current_user, now, ip=request.remote_addr or "")
    db.session.commit()
    filename = f"zhengmin-stats-{clock.local(now):%Y%m%d-%H%M}.xlsx"
    return Response(content, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
