"""After a draw: verify it from its seed, and confirm it (statuses, check-in codes, notices, audit).

Import these through :mod:`services.selection`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Application, ApplicationStatus, Event, SelectionRun, SelectionStatus
from services.admin import audit
from services.messaging import outbox, wording
from services.participation.checkin_codes import assign_checkin_code
from services.programme import events, links
from services.selection import process as selection_process
from services.selection import sealing, texts
from services.selection.engine import EngineError
from services.selection.record import record_url
from services.selection.runs import PURPOSES, AlreadyConfirmed, LotterySealed, RunNotReady

VERIFY_BUDGET = None  # a verification runs the stored algorithm to the end, however long


def verify(session, event_id: int, seed: int) -> tuple[bool, list[str]]:
    """Re-run the event's stored draw with ``seed``; (identical, differences in Chinese).

    The re-run uses the stored pool snapshot and quotas and the algorithm the
    stored run actually used (legacy after a fallback), so it needs nothing but
    published data. Changes to the applications since the draw are listed too.
    """
    run = _verifiable_run(session, event_id)
    if run is None:
        return False, [texts.NO_RUN]
    differences: list[str] = []
    if int(seed) != run.seed:
        differences.append(texts.SEED_DIFFERS.format(stored=run.seed, given=seed))
    stored = run.result
    if stored.get("sealed"):
        differences += sealing.verify_run(session, run)
        return not differences, differences
    quotas = {k: v for k, v in run.quotas.items() if k in ("category", "street")}
    # A draw where everyone was selected ran no algorithm: re-run the one requested (it selects everyone too).
    algorithm = run.algorithm_requested if run.algorithm_used == "everyone" else run.algorithm_used
    job = {"pool": stored["pool"], "quotas": quotas, "seats": run.seats, "seed": int(seed), "algorithm": algorithm,
           "collapse_types": run.quotas.get("collapse_types", True),
           "default_quotas": run.quotas.get("default_quotas", False)}
    try:
        again = selection_process.run(job, VERIFY_BUDGET)
    except EngineError as error:
        return False, [*differences, *error.messages]
    missing = sorted(set(stored["selected"]) - set(again["selected"]))
    extra = sorted(set(again["selected"]) - set(stored["selected"]))
    if missing:
        differences.append(texts.SELECTED_MISSING.format(ids=", ".join(map(str, missing))))
    if extra:
        differences.append(texts.SELECTED_EXTRA.format(ids=", ".join(map(str, extra))))
    if again["waitlist"] != stored["waitlist"]:
        differences.append(texts.WAITLIST_DIFFERS)
    differences += _pool_changes(session, stored["pool"])
    return not differences, differences


def _verifiable_run(session, event_id: int) -> SelectionRun | None:
    """The confirmed run, else the latest finished one (a later failed attempt does not hide it)."""
    for status in (SelectionStatus.CONFIRMED, SelectionStatus.DONE):
        run = session.scalar(select(SelectionRun).where(SelectionRun.event_id == event_id, SelectionRun.status == status)
                             .order_by(SelectionRun.id.desc()).limit(1))
        if run is not None:
            return run
    return None


def _pool_changes(session, pool: list) -> list[str]:
    """Applications whose category or street changed since the draw (or that are gone)."""
    ids = [row[0] for row in pool]
    current = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}
    changes: list[str] = []
    for app_id, category, street in pool:
        application = current.get(app_id)
        if application is None:
            changes.append(texts.POOL_MISSING.format(id=app_id))
            continue
        if application.category != category:
            changes.append(texts.POOL_CHANGED.format(id=app_id, feature="类别", old=category, new=application.category))
        if (application.street or "未填写") != street:
            changes.append(texts.POOL_CHANGED.format(id=app_id, feature="街镇", old=street, new=application.street))
    return changes


def closes_applications_early(session, event_id: int, now: dt.datetime) -> dt.datetime | None:
    """The application deadline that confirming the event's draw now would cut short, else None.

    Confirming closes applications (see ``services.programme.events.application_window``):
    staff are told so, and asked why, while applications are still open or yet to open.
    """
    event = session.get(Event, event_id)
    if event is None or event.selection_notified_at is not None:
        return None
    window = events.application_window(event, now)
    if window.state in (events.WindowState.OPEN, events.WindowState.NOT_YET):
        return window.closes_at
    return None


def confirm(session, run_id: int, staff, now: dt.datetime, base_url: str | None = None, *,
            early_reason: str | None = None) -> SelectionRun:
    """Apply a finished draw: selected (with check-in codes), waitlisted (ranked), not selected.

    Applications cancelled since the draw are left alone (a freed seat goes to
    the waiting list through :mod:`services.participation.waitlist`). Queues one notice per
    applicant and publishes the seed on the event. Confirming closes the
    event's applications; when that is before the deadline, ``early_reason``
    (why staff did not wait) goes into the audit log. Not committed here.
    """

    run = session.get(SelectionRun, run_id)
    if run is None or run.status != SelectionStatus.DONE:
        if run is not None and run.status == SelectionStatus.CONFIRMED:
            raise AlreadyConfirmed(run.event_id)
        raise RunNotReady(run_id)
    if session.scalar(select(SelectionRun.id).where(SelectionRun.event_id == run.event_id,
                                                    SelectionRun.status == SelectionStatus.CONFIRMED)):
        raise AlreadyConfirmed(run.event_id)
    sealed = sealing.current_seal(session, run.event_id)
    if sealed is not None and (run.result or {}).get("sealed", {}).get("seal_id") != sealed.id:
        # A seeded draw (or one from a superseded seal) cannot stand in for the published lottery.
        if sealed.run_id is None:
            raise LotterySealed(texts.LOTTERY_SEALED.format(event_id=run.event_id))
        raise LotterySealed(texts.CONFIRM_SEALED_RUN.format(event_id=run.event_id))
    event = session.get(Event, run.event_id)
    cut_short = closes_applications_early(session, event.id, now)
    ids = [row[0] for row in run.result["pool"]]
    open_apps = {a.id: a for a in session.scalars(select(Application).where(
        Application.id.in_(ids), Application.status == ApplicationStatus.APPLIED))}
    selected = [open_apps[i] for i in run.result["selected"] if i in open_apps]
    for application in selected:
        application.status, application.selected_at, application.waitlist_rank = ApplicationStatus.SELECTED, now, None
        application.updated_at = now
        assign_checkin_code(session, application)
        _notify(session, event, application, "selected", now, base_url)
    rank = 0
    for app_id in run.result["waitlist"]:
        application = open_apps.get(app_id)
        if application is None:
            continue
        rank += 1
        application.status, application.waitlist_rank, application.updated_at = ApplicationStatus.WAITLISTED, rank, now
        _notify(session, event, application, "waitlisted", now, base_url)
    for application in open_apps.values():
        if application.status == ApplicationStatus.APPLIED:
            application.status, application.waitlist_rank, application.updated_at = (
                ApplicationStatus.NOT_SELECTED, None, now)
            _notify(session, event, application, "not_selected", now, base_url)
    outcome = {"selected": len(selected), "waitlisted": rank,
               "not_selected": len(open_apps) - len(selected) - rank,
               "skipped": len(ids) - len(open_apps)}
    run.status, run.confirmed_at, run.updated_at = SelectionStatus.CONFIRMED, now, now
    run.confirmed_by_id = getattr(staff, "id", None)
    event.selection_notified_at, event.updated_at = now, now
    audit.record(session, now, "selection.confirm", actor=staff, obj=run,
                 after={"event_id": event.id, "seed": run.seed, "algorithm": run.algorithm_used, **outcome,
                        "closed_applications_early": cut_short.isoformat() if cut_short else None,
                        "early_reason": (early_reason or "").strip() or None})
    return run


def _notify(session, event: Event, application: Application, result: str, now: dt.datetime,
            base_url: str | None) -> None:
    """Queue the applicant's selection notice (unique per applicant and event)."""

    citizen = application.citizen
    if citizen is None or not citizen.openid or citizen.erased_at is not None:
        return
    when = wording.when(event.starts_at)
    record = record_url(event.id, base_url)
    if result == "selected":
        text = texts.NOTICE_SELECTED.format(title=event.title, when=when, place=event.place or "见活动详情",
                                            code=application.checkin_code, summary=event.summary or "见活动详情",
                                            pass_url=links.pass_url(application.checkin_code, base_url),
                                            record_url=record)
        label = texts.RESULT_SELECTED
    elif result == "waitlisted":
        text = texts.NOTICE_WAITLISTED.format(title=event.title, when=when, rank=application.waitlist_rank,
                                              record_url=record)
        label = texts.RESULT_WAITLISTED
    else:
        text = texts.NOTICE_NOT_SELECTED.format(title=event.title, when=when, record_url=record)
        label = texts.RESULT_NOT_SELECTED
    data = {"title": wording.field(event.title), "time": wording.field(wording.when_short(event.starts_at)),
            "place": wording.field(event.place or "见活动详情"), "result": wording.field(label),
            "note": wording.selection_note(result, application.waitlist_rank)}
    url = links.pass_url(application.checkin_code, base_url) if result == "selected" else links.page_url(event.id, base_url)
    payload = {"text": wording.fit_bytes(text), "template": "selection", "data": data, "url": url}
    outbox.enqueue(session, citizen.openid, PURPOSES[result], f"event:{event.id}", payload, now)
