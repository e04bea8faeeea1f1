"""Public selection (公开遴选): quotas, the seeded draw, verification and confirmation.

The draw itself is :mod:`services.selection.engine` (on ``sortition-algorithms``),
run by :mod:`services.selection.process` in a child process with a time budget.
This module is the domain around it: which applicants and how many seats
(``event.seats`` minus directed invitations), the default quota table, the
Chinese explanation of impossible quotas, the :class:`SelectionRun` row, and
what confirming a draw does (statuses, check-in codes, notices, audit).

Anyone can re-run a draw: the run stores the pool as it was drawn
([application id, category, street], ordered by id), the quotas and the seed;
:func:`verify` re-computes it and compares.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select

from models import Application, ApplicationStatus, Event, SelectionRun, SelectionSeal, SelectionStatus
from services.admin import audit
from services.participation.applications import CATEGORIES
from services.selection import process as selection_process
from services.selection import texts
from services.selection.engine import (
    ALGORITHMS,
    EngineError,
    adjust_to_pool,
    everyone,
    problems,
    resolve_features,
    software,
)

Progress = Callable[[float, str], None]
DEFAULT_TIME_BUDGET = 45.0
# For 30 seats; default_quotas() scales it. Minimums sum to 20, so 10 seats stay open to anyone.
BASE_SEATS = 30
BASE_QUOTAS = {
    "人大代表": (3, 6), "政协委员": (3, 6), "群众代表（家长）": (6, 12),
    "群众代表（企业）": (6, 12), "媒体记者": (2, 4), "其他群众": (0, 10),
}
SEED_RANGE = (10_000_000, 99_999_999)  # eight digits: easy to read out and to publish
PURPOSES = {"selected": "selection_selected", "waitlisted": "selection_waitlisted",
            "not_selected": "selection_not_selected"}
ACTIVE_RUN = (SelectionStatus.QUEUED, SelectionStatus.RUNNING)


class SelectionError(Exception):
    """Base of the errors an edge turns into its own words."""


class EventNotFound(SelectionError):
    """No such event."""


class InvalidRequest(SelectionError):
    """Bad seed, algorithm or quota table (the message is Chinese)."""


class DrawInProgress(SelectionError):
    """Another draw of this event is queued or running."""


class AlreadyConfirmed(SelectionError):
    """The event's selection is confirmed; it cannot be drawn or confirmed again."""


class RunNotReady(SelectionError):
    """Only a finished (done) run can be confirmed."""


class LotterySealed(SelectionError):
    """The event's lottery is sealed: only the public number may draw it (the message is Chinese)."""


# -- quotas and seats ---------------------------------------------------------------------------

def default_quotas(seats: int) -> dict:
    """The programme's mix for ``seats``: {"category": {value: [min, max]}}, scaled from 30 seats.

    Minimums round down and maximums up, so a smaller panel is never impossible
    by rounding; the open category (其他群众) takes up any slack.
    """
    seats = max(int(seats), 0)
    table: dict[str, list[int]] = {}
    for value, (lo, hi) in BASE_QUOTAS.items():
        low = lo * seats // BASE_SEATS
        high = min(max(-(-hi * seats // BASE_SEATS), low), seats)
        table[value] = [low, high]
    shortfall = seats - sum(hi for _, hi in table.values())
    if shortfall > 0:
        table[CATEGORIES[-1]][1] += shortfall
    return {"category": table}


def normalise_quotas(quotas: dict | None, seats: int) -> dict:
    """{"category": {…}, "street": {…}} with [min, max] int pairs; a flat {value: …} means categories."""
    if not quotas:
        return default_quotas(seats)
    if not set(quotas) <= {"category", "street"}:
        quotas = {"category": quotas}
    clean: dict[str, dict[str, list[int]]] = {}
    for feature, values in quotas.items():
        clean[feature] = {}
        for value, pair in values.items():
            try:
                lo, hi = (int(x) for x in pair)
            except (TypeError, ValueError):
                raise InvalidRequest(f"配额“{value}”应为 [下限, 上限] 两个整数") from None
            if lo < 0 or hi < 0:
                raise InvalidRequest(f"配额“{value}”不能为负数")
            clean[feature][str(value)] = [lo, hi]
    return clean


def check_feasibility(applicants, quotas: dict, seats: int) -> list[str]:
    """Why these quotas cannot be met by these applicants, in Chinese; [] when no reason is found.

    ``applicants`` are Application rows or (id, category, street) tuples.
    Runs before any solver: e.g. "“媒体记者”至少需要 2 人，但只有 1 人报名".
    """
    pool = [_row(a) for a in applicants]
    quotas = normalise_quotas(quotas, seats)
    return _problems(pool, quotas, seats, is_default(quotas, seats))


def quota_adjustments(applicants, quotas: dict, seats: int) -> list[str]:
    """How the draw will adapt these quotas to these applicants (Chinese notes; [] when it will not)."""
    pool = [_row(a) for a in applicants]
    quotas = normalise_quotas(quotas, seats)
    features = resolve_features(quotas, pool, seats)
    features, notes = adjust_to_pool(pool, features, seats, default_quotas=is_default(quotas, seats))
    if everyone(pool, features, seats) is not None and seats > 0:
        return [texts.EVERYONE_SELECTED.format(count=len(pool), seats=seats), *notes]
    return notes


def is_default(quotas: dict, seats: int) -> bool:
    """True when the category table is the programme's default for ``seats`` (maxima may then be raised)."""
    return quotas.get("category") == default_quotas(seats)["category"]


def _problems(pool: list, quotas: dict, seats: int, default: bool) -> list[str]:
    """What stops the draw once the quotas are adapted to the pool (as the engine adapts them)."""
    quotas = {k: v for k, v in quotas.items() if k in ("category", "street")}
    features = resolve_features(quotas, pool, seats)
    features, _notes = adjust_to_pool(pool, features, seats, default_quotas=default)
    if seats > 0 and everyone(pool, features, seats) is not None:
        return []
    return problems(pool, features, seats)


def _row(applicant) -> list:
    if isinstance(applicant, Application):
        return [applicant.id, applicant.category, applicant.street or "未填写"]
    app_id, category, street = applicant
    return [int(app_id), category, street or "未填写"]


def pool_of(session, event_id: int) -> list[list]:
    """The applicants in the draw: open (not invited, not cancelled) applications, by id."""
    rows = session.scalars(
        select(Application).where(Application.event_id == event_id, Application.invited.is_(False),
                                  Application.status == ApplicationStatus.APPLIED)
        .order_by(Application.id)
    )
    return [_row(a) for a in rows]


def invitations(session, event_id: int) -> list[int]:
    """Ids of the directed invitations (定向邀请) holding reserved seats."""
    return list(session.scalars(
        select(Application.id).where(Application.event_id == event_id, Application.invited.is_(True),
                                     Application.status != ApplicationStatus.CANCELLED)
        .order_by(Application.id)
    ))


def seats_to_draw(session, event: Event) -> int:
    """The event's seats minus its directed invitations (never below zero)."""
    return max(event.seats - len(invitations(session, event.id)), 0)


def new_seed() -> int:
    """A fresh eight-digit seed (the library treats 0 as "unseeded")."""
    low, high = SEED_RANGE
    return low + secrets.randbelow(high - low + 1)


# -- runs -----------------------------------------------------------------------------------------

def create_run(session, event_id: int, now: dt.datetime, *, seed: int | None = None, algorithm: str = "maximin",
               time_budget: float | None = DEFAULT_TIME_BUDGET, quotas: dict | None = None,
               staff=None, collapse_types: bool = True) -> SelectionRun:
    """A queued run of the event's draw (flushed, not committed)."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound(event_id)
    if algorithm == "leximin":
        raise InvalidRequest(texts.LEXIMIN_UNAVAILABLE)
    if algorithm not in ALGORITHMS:
        raise InvalidRequest(texts.UNKNOWN_ALGORITHM.format(algorithm=algorithm))
    if seed is not None and not 0 < int(seed) < 2**31:
        raise InvalidRequest("种子应为 1 至 2147483647 之间的整数")
    _refuse_concurrent(session, event_id, now)
    if session.scalar(select(SelectionSeal.id).where(SelectionSeal.event_id == event_id,
                                                     SelectionSeal.superseded_at.is_(None))):
        raise LotterySealed(texts.LOTTERY_SEALED.format(event_id=event_id))
    seats = seats_to_draw(session, event)
    table = normalise_quotas(quotas, seats)
    run = SelectionRun(
        event_id=event_id, seed=int(seed) if seed is not None else new_seed(), algorithm_requested=algorithm,
        status=SelectionStatus.QUEUED, seats=seats, time_budget=time_budget,
        quotas={**table, "collapse_types": collapse_types, "default_quotas": is_default(table, seats)},
        created_by_id=getattr(staff, "id", staff if isinstance(staff, int) else None),
        message=texts.STATUS_LABELS["queued"], created_at=now,
    )
    session.add(run)
    session.flush()
    audit.record(session, now, "selection.run", actor=staff, obj=run,
                 after={"event_id": event_id, "seed": run.seed, "algorithm": algorithm, "seats": seats})
    return run


def _refuse_concurrent(session, event_id: int, now: dt.datetime) -> None:
    runs = session.scalars(select(SelectionRun).where(
        SelectionRun.event_id == event_id,
        SelectionRun.status.in_((*ACTIVE_RUN, SelectionStatus.CONFIRMED)))).all()
    for run in runs:
        if run.status == SelectionStatus.CONFIRMED:
            raise AlreadyConfirmed(event_id)
        if not _is_stale(run, now):
            raise DrawInProgress(run.id)
        # Its process died (a restart mid-draw): free the event.
        run.status, run.message, run.finished_at = SelectionStatus.FAILED, "计算中断（进程已退出）", now


def _is_stale(run: SelectionRun, now: dt.datetime) -> bool:
    started = run.started_at or run.created_at
    limit = (run.time_budget or 600.0) + selection_process.LEGACY_LIMIT + 60.0
    return started is not None and (now - started).total_seconds() > limit


def execute_run(session, run: SelectionRun, now: dt.datetime, progress: Progress | None = None) -> SelectionRun:
    """Compute a queued run; it ends ``done`` or ``failed`` (with the reasons in Chinese)."""
    def report(fraction: float, message: str) -> None:
        run.progress, run.message = round(fraction, 4), message
        if progress is not None:
            progress(fraction, message)

    run.status, run.started_at = SelectionStatus.RUNNING, now
    pool = pool_of(session, run.event_id)
    quotas = {k: v for k, v in run.quotas.items() if k in ("category", "street")}
    found = _problems(pool, quotas, run.seats, run.quotas.get("default_quotas", False))
    invited = invitations(session, run.event_id)
    if run.seats <= 0:
        event = session.get(Event, run.event_id)
        found = [texts.NO_SEATS.format(seats=event.seats, invited=len(invited))]
    if found:
        return _fail(run, found, now, pool)
    job = {"pool": pool, "quotas": quotas, "seats": run.seats, "seed": run.seed,
           "algorithm": run.algorithm_requested, "collapse_types": run.quotas.get("collapse_types", True),
           "default_quotas": run.quotas.get("default_quotas", False)}
    try:
        outcome = selection_process.run(job, run.time_budget, report)
    except EngineError as error:
        return _fail(run, error.messages, now, pool)
    run.algorithm_used, run.fell_back = outcome["algorithm_used"], outcome["fell_back"]
    run.result = {
        "selected": outcome["selected"], "waitlist": outcome["waitlist"], "pool": pool, "invited": invited,
        "quotas_used": outcome["features_used"], "notes": outcome["notes"],
        "min_probability": outcome.get("min_probability"), "per_category": outcome.get("per_category"),
        "unselectable": outcome.get("unselectable", []), "elapsed": round(outcome["elapsed"], 2),
        "software": software(),
        "counts": panel_counts(pool, outcome["selected"]),
    }
    run.status, run.finished_at = SelectionStatus.DONE, now + dt.timedelta(seconds=outcome["elapsed"])
    report(1.0, "；".join([texts.STAGE_DONE, *outcome["notes"][:1]]))
    return run


def _fail(run: SelectionRun, reasons: list[str], now: dt.datetime, pool: list) -> SelectionRun:
    run.status, run.finished_at, run.progress = SelectionStatus.FAILED, now, 1.0
    run.message = "；".join(reasons)
    run.result = {"problems": reasons, "pool": pool}
    return run


def panel_counts(pool: list, selected: list[int]) -> dict:
    """{"category": {value: n}, "street": {value: n}} of the selected."""
    chosen = set(selected)
    rows = [row for row in pool if row[0] in chosen]
    return {"category": dict(Counter(row[1] for row in rows).most_common()),
            "street": dict(Counter(row[2] for row in rows).most_common())}


def run_draw(session, event_id: int, seed: int | None = None, algorithm: str = "maximin",
             time_budget: float | None = DEFAULT_TIME_BUDGET, progress: Progress | None = None, *,
             now: dt.datetime, quotas: dict | None = None, staff=None, collapse_types: bool = True) -> SelectionRun:
    """Draw the event's panel now (blocking); the run is flushed, the caller commits."""
    run = create_run(session, event_id, now, seed=seed, algorithm=algorithm, time_budget=time_budget,
                     quotas=quotas, staff=staff, collapse_types=collapse_types)
    return execute_run(session, run, now, progress)


def latest_run(session, event_id: int) -> SelectionRun | None:
    """The event's confirmed run, else its most recent one."""
    confirmed = session.scalar(select(SelectionRun).where(
        SelectionRun.event_id == event_id, SelectionRun.status == SelectionStatus.CONFIRMED))
    return confirmed or session.scalar(
        select(SelectionRun).where(SelectionRun.event_id == event_id).order_by(SelectionRun.id.desc()).limit(1))
