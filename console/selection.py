"""The draw page (公开遴选): quotas, seed, the background draw with progress, the result, confirmation.

The lottery is ``services.selection``: this module reads the quota table from the
form, checks it in words before anything runs, starts the draw in the
background, relays its progress as JSON, and confirms a finished draw (which
queues every applicant's notice and gives the selected their check-in codes).
"""

from __future__ import annotations

from collections import Counter

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from console import bp
from console.access import event_or_404, readers, writers
from console.applications import shown_mobile, shown_name
from console.forms import ConfirmForm, DrawForm
from models import Application, Event, SelectionRun, SelectionStatus, db
from services import intake, selection
from services.calendar import clock
from services.participation import checkin
from services.participation.applications import CATEGORIES
from services.programme import deadlines
from services.selection import texts

RUNNING = (SelectionStatus.QUEUED, SelectionStatus.RUNNING)
ANY_STREET = "*"  # the engine's "every street" entry


def _category_rows(pool: list, quotas: dict) -> list[dict]:
    """One row per category: applicants in the pool and the [min, max] asked for."""
    counts = Counter(row[1] for row in pool)
    names = list(CATEGORIES) + sorted(set(counts) - set(CATEGORIES))
    table = quotas.get("category", {})
    return [{"index": i, "value": name, "applicants": counts.get(name, 0), "expected": counts.get(name) or "",
             "min": table.get(name, [0, 0])[0], "max": table.get(name, [0, 0])[1]}
            for i, name in enumerate(names)]


def _read_quotas(form_data, rows: list[dict]) -> tuple[dict, list[str]]:
    """The quota table typed in the form, and what is wrong with it (Chinese)."""
    table, errors = {}, []
    for row in rows:
        raw_min = form_data.get(f"min-{row['index']}", "").strip()
        raw_max = form_data.get(f"max-{row['index']}", "").strip()
        row["min"], row["max"] = raw_min, raw_max  # shown again as typed if something is wrong
        if not (raw_min.isdigit() and raw_max.isdigit()):
            errors.append(f"“{row['value']}”的下限和上限应为不小于 0 的整数。")
            continue
        table[row["value"]] = [int(raw_min), int(raw_max)]
    return {"category": table}, errors


def _street_rows(pool: list, quotas: dict) -> tuple[list[dict], str]:
    """One row per street in the pool (applicants, min, max; blank: no limit) and the "each street at most" cap."""
    counts = Counter(row[2] for row in pool)
    table = quotas.get("street", {})
    cap = table.get(ANY_STREET, [0, ""])[1]
    rows = []
    for index, (name, applicants) in enumerate(sorted(counts.items(), key=lambda item: (-item[1], item[0]))):
        low, high = table.get(name, ["", ""])
        rows.append({"index": index, "value": name, "applicants": applicants,
                     "min": "" if low in ("", 0) else low, "max": high})
    return rows, "" if cap in ("", None) else str(cap)


def _read_street_quotas(form_data, rows: list[dict]) -> tuple[dict, str, list[str]]:
    """The street quotas typed in the form ({} when none), the cap as typed, and what is wrong (Chinese)."""
    table, errors = {}, []
    cap = form_data.get("street_cap", "").strip()
    if cap and not cap.isdigit():
        errors.append("“每个街镇最多”应为不小于 0 的整数，或留空表示不限。")
    elif cap:
        table[ANY_STREET] = [0, int(cap)]
    # Inputs are matched by the street named in the form, not by position: an application from a new
    # street since the page was shown must not shift everyone's quota onto the wrong street.
    typed = {form_data.get(f"sname-{i}", ""): i for i in range(len(rows) + 50) if form_data.get(f"sname-{i}")}
    for row in rows:
        index = typed.get(row["value"], row["index"] if not typed else None)
        raw_min = form_data.get(f"smin-{index}", "").strip() if index is not None else ""
        raw_max = form_data.get(f"smax-{index}", "").strip() if index is not None else ""
        row["min"], row["max"] = raw_min, raw_max  # shown again as typed if something is wrong
        if not raw_min and not raw_max:
            continue
        if not all(raw.isdigit() for raw in (raw_min, raw_max) if raw):
            errors.append(f"“{row['value']}”的下限和上限应为不小于 0 的整数，或留空表示不限。")
            continue
        default_max = table.get(ANY_STREET, [0, None])[1]
        high = int(raw_max) if raw_max else default_max
        table[row["value"]] = [int(raw_min or 0), high if high is not None else row["applicants"]]
    return table, cap, errors


def _people(ids: list[int]) -> dict[int, Application]:
    """Applications by id, for showing a draw's result."""
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids)))}


def _page(event: Event, form: DrawForm, rows: list[dict] | None = None, problems: list[str] | None = None,
          status: int = 200, streets: tuple[list[dict], str] | None = None, preview=None):
    """Render the draw page for the event's current state (and a quota preview when one was asked for)."""
    run = selection.latest_run(db.session, event.id)
    pool = selection.pool_of(db.session, event.id)
    seats = selection.seats_to_draw(db.session, event)
    adjustments: list[str] = []
    if rows is None:
        previous = run.quotas if run is not None and run.status != SelectionStatus.CONFIRMED else None
        base = previous if previous and previous.get("category") else selection.default_quotas(seats)
        rows = _category_rows(pool, base)
        streets = _street_rows(pool, previous or {})
        table = {"category": {r["value"]: [r["min"], r["max"]] for r in rows}}
        if previous and previous.get("street"):
            table["street"] = previous["street"]
        problems = selection.check_feasibility(pool, table, seats)
        adjustments = [] if problems else selection.quota_adjustments(pool, table, seats)
    street_rows, street_cap = streets if streets is not None else _street_rows(pool, {})
    result = (run.result or {}) if run is not None else {}
    people = _people([*result.get("selected", []), *result.get("waitlist", []), *result.get("invited", [])])
    deadline = deadlines.selection_notice_deadline(event)
    return render_template(
        "console/selection.html", event=event, form=form, confirm_form=ConfirmForm(), run=run, result=result,
        rows=rows, problems=problems or [], adjustments=adjustments, seats=seats, street_rows=street_rows,
        street_cap=street_cap, uniform=_uniform_probability(run, result),
        pool_size=len(result["pool"]) if run is not None and run.status == SelectionStatus.CONFIRMED else len(pool),
        invited=selection.invitations(db.session, event.id), people=people, deadline=deadline,
        late=clock.today_local() > deadline.day, algorithm_labels=texts.ALGORITHM_LABELS,
        closes_early=selection.closes_applications_early(db.session, event.id, clock.now()),
        status_labels=texts.STATUS_LABELS, percent=_percent, shown_name=shown_name, shown_mobile=shown_mobile,
        running=run is not None and run.status in RUNNING, preview=preview,
    ), status


def _percent(probability: float | None) -> str:
    """Percentages on the draw page: one decimal (75.0%), four significant digits below 1% (0.05674%)."""
    return texts.percent(probability, 1)


def _uniform_probability(run, result: dict) -> float | None:
    """Each applicant's chance with no quota at all (seats ÷ applicants), to compare the lowest one with."""
    pool = result.get("pool") or []
    if run is None or not pool or not run.seats:
        return None
    return min(run.seats / len(pool), 1.0)


@bp.get("/events/<int:event_id>/selection")
@readers
def selection_page(event_id: int):
    """The draw page: what is drawn, the quotas, a running draw's progress, or the result."""
    event = event_or_404(event_id)
    return _page(event, DrawForm())


@bp.post("/events/<int:event_id>/selection/draw")
@writers
def selection_draw(event_id: int):
    """Check the quotas and start the draw in the background (the page then polls its progress)."""
    event = event_or_404(event_id)
    latest = selection.latest_run(db.session, event.id)
    if latest is not None and latest.status == SelectionStatus.CONFIRMED:
        flash(_error_text(selection.AlreadyConfirmed(event.id)), "error")
        return redirect(url_for("console.selection_page", event_id=event.id))
    form = DrawForm()
    pool = selection.pool_of(db.session, event.id)
    seats = selection.seats_to_draw(db.session, event)
    rows = _category_rows(pool, selection.default_quotas(seats))
    quotas, errors = _read_quotas(request.form, rows)
    street_rows, _cap = _street_rows(pool, {})
    street_table, cap, street_errors = _read_street_quotas(request.form, street_rows)
    streets = (street_rows, cap)
    errors += street_errors
    if street_table:
        quotas["street"] = street_table
    if not form.validate_on_submit() or errors:
        return _page(event, form, rows, errors, status=400, streets=streets)
    problems = selection.check_feasibility(pool, quotas, seats)
    if problems:
        flash("按当前配额无法完成遴选，请根据下方说明调整配额。", "error")
        return _page(event, form, rows, problems, status=400, streets=streets)
    seed = int(form.seed.data) if form.seed.data else None
    try:
        selection.start_draw_in_background(sessionmaker(bind=db.engine), event.id, clock.now(), seed=seed,
                                           quotas=quotas, staff=current_user)
    except selection.SelectionError as error:
        flash(_error_text(error), "error")
        return _page(event, form, rows, [], status=409, streets=streets)
    flash("遴选已开始，请稍候。", "info")
    return redirect(url_for("console.selection_page", event_id=event.id))


def _read_expected(form_data, rows: list[dict]) -> tuple[dict[str, int], list[str]]:
    """The expected applicants per category typed for a preview (blank: none), and what is wrong (Chinese)."""
    counts, errors = {}, []
    for row in rows:
        raw = form_data.get(f"expect-{row['index']}", "").strip()
        row["expected"] = raw  # shown again as typed
        if not raw:
            continue
        if not raw.isdigit():
            errors.append(f"“{row['value']}”的预计报名人数应为不小于 0 的整数。")
            continue
        counts[row["value"]] = int(raw)
    return counts, errors


@bp.post("/events/<int:event_id>/selection/preview")
@writers
def selection_preview(event_id: int):
    """What the typed quotas mean for an expected pool: maximin probabilities, nothing drawn or stored."""
    event = event_or_404(event_id)
    form = DrawForm()
    pool = selection.pool_of(db.session, event.id)
    seats = selection.seats_to_draw(db.session, event)
    rows = _category_rows(pool, selection.default_quotas(seats))
    quotas, errors = _read_quotas(request.form, rows)
    expected, expected_errors = _read_expected(request.form, rows)
    street_rows, _cap = _street_rows(pool, {})
    _table, cap, street_errors = _read_street_quotas(request.form, street_rows)
    errors += expected_errors + street_errors
    if not form.validate_on_submit() or errors:
        return _page(event, form, rows, errors, status=400, streets=(street_rows, cap))
    try:
        result = selection.preview(seats, expected, quotas=quotas, street_cap=int(cap) if cap else None)
    except selection.PreviewImpossible as error:
        return _page(event, form, rows, error.messages, status=400, streets=(street_rows, cap))
    except selection.SelectionError as error:
        return _page(event, form, rows, [_error_text(error)], status=400, streets=(street_rows, cap))
    return _page(event, form, rows, [], streets=(street_rows, cap), preview=result)


def _error_text(error: selection.SelectionError) -> str:
    """Chinese words for the selection service's errors."""
    if isinstance(error, selection.DrawInProgress):
        return "该活动已有一次遴选正在进行，请等待其完成。"
    if isinstance(error, selection.AlreadyConfirmed):
        return "该活动的遴选结果已确认，不能再次遴选或确认。"
    if isinstance(error, selection.RunNotReady):
        return "只有已完成的遴选结果可以确认。"
    return str(error) or "遴选请求有误。"


@bp.get("/events/<int:event_id>/selection/status.json")
@readers
def selection_status(event_id: int):
    """The latest draw's status and progress, polled by the page."""
    event = event_or_404(event_id)
    db.session.expire_all()  # the background thread commits through its own session
    run = selection.latest_run(db.session, event.id)
    if run is None:
        return jsonify(status="none", progress=0, message="尚未遴选")
    return jsonify(run_id=run.id, status=run.status.value, label=texts.STATUS_LABELS.get(run.status.value, ""),
                   progress=round(run.progress or 0, 3), message=run.message or "")


@bp.post("/events/<int:event_id>/selection/confirm")
@writers
def selection_confirm(event_id: int):
    """Confirm a finished draw: statuses, check-in codes, a notice to every applicant."""
    event = event_or_404(event_id)
    run_id = request.form.get("run_id", type=int)
    run = db.session.get(SelectionRun, run_id) if run_id else None
    if run is None or run.event_id != event.id:
        flash("找不到要确认的遴选结果，请刷新页面后重试。", "error")
        return redirect(url_for("console.selection_page", event_id=event.id))
    now = clock.now()
    early_reason = intake.clean_text(request.form.get("early_reason", "")).strip()[:500]
    if selection.closes_applications_early(db.session, event.id, now) and not early_reason:
        flash("报名尚未截止：提前确认会立即截止报名，请填写提前确认的理由（将记入操作日志）。", "error")
        return redirect(url_for("console.selection_page", event_id=event.id))
    try:
        selection.confirm(db.session, run.id, current_user, now,
                          base_url=current_app.extensions["settings"].PUBLIC_BASE_URL, early_reason=early_reason)
    except selection.SelectionError as error:
        db.session.rollback()
        flash(_error_text(error), "error")
        return redirect(url_for("console.selection_page", event_id=event.id))
    checkin.ensure_codes(db.session, event.id, current_user, now)  # invitations get codes too
    db.session.commit()
    statuses = Counter(a.status for a in _people([row[0] for row in run.result.get("pool", [])]).values())
    flash(f"遴选结果已确认，已向报名者发送结果通知：入选 {statuses['selected']} 人、候补 {statuses['waitlisted']} 人、"
          f"未入选 {statuses['not_selected']} 人。报名已截止，此后不再接受报名。定向邀请人员请电话告知签到码。", "success")
    return redirect(url_for("console.selection_page", event_id=event.id))
