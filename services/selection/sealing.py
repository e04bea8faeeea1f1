"""Seal an event's lottery before the draw, draw it with a public number, and publish the record.

The seal freezes the pool (报名编号 with category and street) and publishes all
m panels of :mod:`services.selection.lottery` with their digest and which public
number will decide (by default the 福彩3D result of a named evening). The draw
takes ``panels[value mod m]`` and stores an ordinary :class:`SelectionRun`
(status ``done``), so confirming, notices and the waiting list work as for a
seeded draw. A second seal or a second draw is refused unless the event is
re-sealed with a reason, which the record's ``attempts`` show for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter

from sqlalchemy import select

from models import (
    Application,
    ApplicationStatus,
    Event,
    EventStatus,
    SelectionRun,
    SelectionSeal,
    SelectionStatus,
    random_application_number,
)
from services.admin import audit
from services.calendar import clock
from services.programme import events
from services.selection import lottery, texts
from services.selection.engine import EngineError, rank_waitlist, software
from services.selection.runs import (
    AlreadyConfirmed,
    EventNotFound,
    InvalidRequest,
    SelectionError,
    invitations,
    is_default,
    normalise_quotas,
    panel_counts,
    seats_to_draw,
)

BEACON_VALUE = re.compile(r"^\d{1,18}$")
RECORD_FORMAT = "uniform-lottery/1"
MAX_AUTO_PANELS = 100_000  # five digits: the whole 排列5 number


class NotSealed(SelectionError):
    """The event has no sealed lottery to draw from."""


class AlreadySealed(SelectionError):
    """Sealed already; only a re-seal with a reason may replace it (the message is Chinese)."""


class AlreadyDrawn(SelectionError):
    """The sealed lottery was drawn already (the message is Chinese)."""


class InvalidBeacon(SelectionError):
    """The public number is not a non-negative integer, or its day is past (the message is Chinese)."""


def current_seal(session, event_id: int) -> SelectionSeal | None:
    """The event's seal in force (the latest one not superseded), or None."""
    return session.scalar(select(SelectionSeal).where(SelectionSeal.event_id == event_id,
                                                      SelectionSeal.superseded_at.is_(None))
                          .order_by(SelectionSeal.id.desc()).limit(1))


def panels_needed(applicants: int, seats: int) -> int:
    """The smallest power of ten ≥ 1,000 with room on the panels for every applicant (m·seats ≥ applicants).

    With fewer panel-seats than applicants some applicant would sit on no panel
    at all (chance 0), however fair the distribution being rounded.
    """
    m = lottery.PANELS
    while m * max(seats, 1) < applicants and m < MAX_AUTO_PANELS:
        m *= 10
    return m


def beacon_plan(event: Event, now: dt.datetime, day: dt.date | None = None, source: str | None = None,
                panel_count: int = lottery.PANELS) -> dict:
    """Which public number will decide: a named source and day after the seal (the announced selection day)."""
    today = clock.local(now).date()
    if day is None:
        planned = event.selection_planned_on
        day = planned if planned is not None and planned > today else today + dt.timedelta(days=1)
    if day < today:
        raise InvalidBeacon(texts.BEACON_DATE_PAST.format(date=day.isoformat()))
    if source is None:
        source, description = texts.default_beacon(day.isoformat(), panel_count)
    else:
        description = source
    return {"source": source, "date": day.isoformat(), "description": description,
            "rule": texts.BEACON_RULE.format(panels=panel_count)}


def numbered_pool(session, event_id: int) -> list[list[str]]:
    """The open applications as [报名编号, category, street], by number; a missing number is given one."""
    # Columns only: loading whole rows would decrypt 200,000 names and mobiles nobody reads here.
    rows = session.execute(select(Application.id, Application.number, Application.category, Application.street)
                           .where(Application.event_id == event_id, Application.invited.is_(False),
                                  Application.status == ApplicationStatus.APPLIED).order_by(Application.id)).all()
    taken = {row.number for row in rows if row.number}
    pool = []
    for row in rows:
        number = row.number
        if not number:  # a row from before numbers existed
            number = unique_number(session, event_id, taken)
            taken.add(number)
            session.get(Application, row.id).number = number
        pool.append([number, row.category, row.street or "未填写"])
    return sorted(pool, key=lambda r: r[0])


def unique_number(session, event_id: int, taken: set[str] | None = None) -> str:
    """A 报名编号 not yet used in this event."""
    while True:
        number = random_application_number()
        if taken is not None and number in taken:
            continue
        clash = session.scalar(select(Application.id).where(Application.event_id == event_id,
                                                            Application.number == number))
        if clash is None:
            return number


def seal(session, event_id: int, now: dt.datetime, *, quotas: dict | None = None, reason: str = "",
         beacon_day: dt.date | None = None, beacon_source: str | None = None, panel_count: int | None = None,
         staff=None, emit=None) -> SelectionSeal:
    """Freeze the pool and publish the lottery (flushed, not committed); a re-seal needs ``reason``."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound(event_id)
    if session.scalar(select(SelectionRun.id).where(SelectionRun.event_id == event_id,
                                                    SelectionRun.status == SelectionStatus.CONFIRMED)):
        raise AlreadyConfirmed(event_id)
    window = events.application_window(event, now)
    if window.state in (events.WindowState.OPEN, events.WindowState.NOT_YET):
        # Someone applying after the seal would be left out of a pool that can no longer change.
        raise InvalidRequest(texts.SEAL_WHILE_OPEN.format(closes=f"{clock.local(window.closes_at):%Y-%m-%d %H:%M}"))
    previous, reason = current_seal(session, event_id), " ".join(reason.split())
    if previous is not None and not reason:
        if previous.beacon_value is not None:
            raise AlreadySealed(texts.SEAL_AFTER_DRAW.format(value=previous.beacon_value))
        raise AlreadySealed(texts.ALREADY_SEALED.format(at=f"{clock.local(previous.sealed_at):%Y-%m-%d %H:%M}",
                                                        digest=previous.digest[:16]))
    seats = seats_to_draw(session, event)
    invited = len(invitations(session, event_id))
    if seats <= 0:
        raise InvalidRequest(texts.NO_SEATS.format(seats=event.seats, invited=invited))
    pool = numbered_pool(session, event_id)
    if not pool:
        raise InvalidRequest(texts.SEAL_NO_APPLICANTS)
    if panel_count is not None and (panel_count < lottery.PANELS or str(panel_count).rstrip("0") != "1"):
        raise InvalidRequest(texts.PANEL_COUNT_INVALID)
    panel_count = panel_count or panels_needed(len(pool), seats)
    plan = beacon_plan(event, now, beacon_day, beacon_source, panel_count)
    table = normalise_quotas(quotas, seats)
    try:
        sealed = lottery.seal(pool, table, seats, panel_count, default_quotas=is_default(table, seats), emit=emit)
    except EngineError as error:
        raise InvalidRequest("；".join(error.messages)) from None
    seats_doc = {"event": event.seats, "invited": invited, "drawn": seats}
    members = lottery.record_members(pool, sealed, seats_doc, table)
    digest = lottery.digest_of(members)
    if previous is not None:
        previous.superseded_at = now
    row = SelectionSeal(event_id=event_id, sealed_at=now, reason=reason, digest=digest,
                        panel_count=len(sealed.panels), beacon=plan, record=lottery.canonical_object(members),
                        created_by_id=getattr(staff, "id", None), created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, now, "selection.seal", actor=staff, obj=row,
                 after={"event_id": event_id, "digest": digest, "reason": reason, "applicants": len(pool)})
    return row


def clean_beacon(value: str) -> str:
    """The public number as digits (leading zeros kept: 福彩3D's 058 is 058)."""
    text = str(value).strip()
    if not BEACON_VALUE.match(text):
        raise InvalidBeacon(texts.BEACON_INVALID.format(value=text))
    return text


def draw(session, event_id: int, value: str, now: dt.datetime, *, staff=None) -> SelectionRun:
    """Pick ``panels[value mod m]`` of the sealed lottery; a done :class:`SelectionRun` (flushed)."""
    value = clean_beacon(value)
    row = current_seal(session, event_id)
    if row is None:
        raise NotSealed(texts.NOT_SEALED.format(event_id=event_id))
    if row.beacon_value is not None:
        raise AlreadyDrawn(texts.ALREADY_DRAWN.format(value=row.beacon_value, given=value,
                                                      index=int(row.beacon_value) % row.panel_count))
    if session.scalar(select(SelectionRun.id).where(SelectionRun.event_id == event_id,
                                                    SelectionRun.status == SelectionStatus.CONFIRMED)):
        raise AlreadyConfirmed(event_id)
    record = json.loads(row.record)
    index = int(value) % row.panel_count
    panel = record["panels"][index]
    ids = dict(session.execute(select(Application.number, Application.id).where(
        Application.event_id == event_id, Application.number.in_([e["number"] for e in record["pool"]]))).all())
    pool = sorted(([ids[e["number"]], e["category"], e["street"]] for e in record["pool"]), key=lambda r: r[0])
    selected = sorted(ids[number] for number in panel)
    features = {name: {v: tuple(b) for v, b in values.items()} for name, values in record["quotas"].items()}
    seed = waitlist_seed(row.digest, value)
    waitlist = rank_waitlist(pool, selected, features, seed)
    fairness = record["fairness"]
    run = SelectionRun(
        event_id=event_id, seed=seed, algorithm_requested="sealed", algorithm_used="sealed",
        status=SelectionStatus.DONE, progress=1.0, message=texts.STAGE_DONE, seats=record["seats"]["drawn"],
        quotas={**record["quotas_requested"], "default_quotas": False}, created_by_id=getattr(staff, "id", None),
        created_at=now, started_at=now, finished_at=now,
        result={"selected": selected, "waitlist": waitlist, "pool": pool, "invited": invitations(session, event_id),
                "quotas_used": record["quotas"], "notes": record["notes"],
                "min_probability": fairness["lottery_lowest"], "per_category": _category_chances(record),
                "unselectable": [], "elapsed": 0.0, "software": software(), "counts": panel_counts(pool, selected),
                "sealed": {"seal_id": row.id, "digest": row.digest, "beacon": value, "index": index}})
    session.add(run)
    session.flush()
    row.beacon_value, row.drawn_at, row.run_id = value, now, run.id
    audit.record(session, now, "selection.draw", actor=staff, obj=run,
                 after={"event_id": event_id, "beacon": value, "index": index, "digest": row.digest})
    return run


def waitlist_seed(digest: str, value: str) -> int:
    """The waiting list's shuffle seed, from the digest and the public number alone (1 … 2³¹−1)."""
    return int(hashlib.sha256(f"{digest}:{value}".encode()).hexdigest()[:12], 16) % (2**31 - 1) + 1


def _category_chances(record: dict) -> dict[str, float]:
    """Each category's mean chance in the lottery (its members' share of panels)."""
    appearances = Counter(number for panel in record["panels"] for number in panel)
    m = len(record["panels"])
    members: dict[str, list[str]] = {}
    for entry in record["pool"]:
        members.setdefault(entry["category"], []).append(entry["number"])
    return {category: sum(appearances[n] for n in numbers) / (m * len(numbers))
            for category, numbers in sorted(members.items())}


def public_record(session, event_id: int) -> dict | None:
    """The public canonical record (a dict; :func:`lottery.canonical` spells it), None before any seal."""
    row = current_seal(session, event_id)
    event = session.get(Event, event_id)
    if row is None or event is None:
        return None
    body = json.loads(row.record)
    index = int(row.beacon_value) % row.panel_count if row.beacon_value is not None else None
    return {
        "format": RECORD_FORMAT, "event": {"id": event.id, "title": event.title},
        "sealed_at": _local(row.sealed_at), "digest": row.digest,
        "pool": body["pool"], "quotas": body["quotas"], "seats": body["seats"], "panels": body["panels"],
        "beacon": {**row.beacon, "value": row.beacon_value},
        "selected": body["panels"][index] if index is not None else None,
        "fairness": body["fairness"], "notes": body["notes"], "attempts": attempts(session, event_id, {row.id: body}),
        "verify": "python3 scripts/verify_draw.py draw.json",
    }


_published: dict[tuple, str] = {}  # the served text of recent records: 17 MB to spell at 200,000 applicants


def public_record_text(session, event_id: int) -> str | None:
    """:func:`public_record` spelled canonically, kept while no seal, draw or title of the event changes."""
    event = session.get(Event, event_id)
    if event is None:
        return None
    # Every column the record shows but the (immutable) record text: the key says all that can differ.
    seals = session.execute(select(SelectionSeal.id, SelectionSeal.digest, SelectionSeal.sealed_at,
                                   SelectionSeal.reason, SelectionSeal.superseded_at, SelectionSeal.beacon_value,
                                   SelectionSeal.drawn_at, SelectionSeal.beacon)
                            .where(SelectionSeal.event_id == event_id).order_by(SelectionSeal.id)).all()
    key = (event_id, event.title, tuple((*row[:-1], lottery.canonical(row[-1])) for row in seals))
    if key not in _published:
        record = public_record(session, event_id)
        if record is None:
            return None
        if len(_published) >= 4:
            _published.clear()
        _published[key] = lottery.canonical(record)
    return _published[key]


def attempts(session, event_id: int, loaded: dict[int, dict] | None = None) -> list[dict]:
    """Every seal (with its reason) and every draw of the event with the panel it picked, oldest first."""
    loaded = loaded or {}
    found: list[dict] = []
    for row in session.scalars(select(SelectionSeal).where(SelectionSeal.event_id == event_id)
                               .order_by(SelectionSeal.id)):
        found.append({"kind": "reseal" if row.reason else "seal", "at": _local(row.sealed_at), "digest": row.digest,
                      "reason": row.reason, "in_force": row.superseded_at is None})
        if row.beacon_value is not None:
            index = int(row.beacon_value) % row.panel_count
            found.append({"kind": "draw", "at": _local(row.drawn_at), "digest": row.digest,
                          "beacon": row.beacon_value, "index": index,
                          "selected": (loaded.get(row.id) or json.loads(row.record))["panels"][index]})
    return found


def _local(moment: dt.datetime | None) -> str | None:
    return clock.local(moment).isoformat(timespec="seconds") if moment is not None else None


def due_for_seal(session, now: dt.datetime) -> list[int]:
    """Events with an announced selection day whose applications have closed, not sealed nor drawn yet."""
    sealed = select(SelectionSeal.event_id)
    drawn = select(SelectionRun.event_id)
    return list(session.scalars(select(Event.id).where(
        Event.status == EventStatus.PUBLISHED, Event.selection_planned_on.is_not(None),
        Event.apply_closes_at.is_not(None),
        Event.apply_closes_at <= now, Event.starts_at > now,
        Event.id.not_in(sealed), Event.id.not_in(drawn),
        Event.id.in_(select(Application.event_id).where(Application.status == ApplicationStatus.APPLIED,
                                                         Application.invited.is_(False))))
        .order_by(Event.id)))


def verify_run(session, run: SelectionRun) -> list[str]:
    """How a beacon run differs from what its seal and public number give (Chinese; [] when identical)."""
    sealed = run.result["sealed"]
    row = session.get(SelectionSeal, sealed["seal_id"])
    if row is None or row.digest != sealed["digest"]:
        return [texts.SEAL_CHANGED]
    record = json.loads(row.record)
    check = lottery.digest(record["pool"], record["quotas"], record["seats"], record["panels"])
    if check != row.digest:
        return [texts.SEAL_CHANGED]
    numbers = dict(session.execute(select(Application.id, Application.number).where(
        Application.id.in_([r[0] for r in run.result["pool"]]))).all())
    panel = set(record["panels"][int(sealed["beacon"]) % row.panel_count])
    drawn = {numbers.get(app_id) for app_id in run.result["selected"]}
    differences = []
    if drawn != panel:
        differences.append(texts.SEALED_PANEL_DIFFERS.format(index=int(sealed["beacon"]) % row.panel_count))
    features = {name: {v: tuple(b) for v, b in values.items()} for name, values in record["quotas"].items()}
    waitlist = rank_waitlist(run.result["pool"], run.result["selected"], features,
                             waitlist_seed(row.digest, sealed["beacon"]))
    if waitlist != run.result["waitlist"]:
        differences.append(texts.WAITLIST_DIFFERS)
    return differences
