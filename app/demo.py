"""Demo data: the 2024 programme, dated over the coming weeks. Idempotent.

Every row is keyed (units and topics by name, events by code ``OD-01`` /
``PL-1``), so loading twice changes nothing, and events already loaded keep
their dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app import seed_plan
from models import Event, EventKind, EventMode, EventStatus, Topic, Unit
from services.calendar import clock

TIMES = [dt.time(9, 30), dt.time(14, 0), dt.time(10, 0), dt.time(14, 30)]
# A mix as the plan describes: most events offline, some livestreamed, some both.
MODES = {3: EventMode.HYBRID, 5: EventMode.ONLINE, 11: EventMode.HYBRID, 13: EventMode.ONLINE}
LECTURE_MODES = {1: EventMode.OFFLINE, 2: EventMode.HYBRID, 3: EventMode.OFFLINE, 4: EventMode.HYBRID}
PLACES = {
    "街道": "{unit}政务服务大厅",
    "镇": "{unit}政府会议室",
}
AGENDA_OPEN_DAY = "1. 签到入场（提前15分钟）\n2. 参观讲解\n3. 互动体验\n4. 座谈交流，听取意见建议\n5. 填写满意度问卷"
AGENDA_LECTURE = "1. 签到入场（提前15分钟）\n2. 政策解读\n3. 现场答疑\n4. 交流互动，听取意见建议"
ONLINE_HOW = "通过“大兴区政民互动”公众号观看视频直播，可在直播评论区留言提问，或在公众号回复【建议】提交意见建议。"


def _working_day(d: dt.date) -> bool:
    from services.calendar import workdays

    return workdays.is_working_day(d, strict=False)


def _nth_working_day_after(start: dt.date, n: int) -> dt.date:
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if _working_day(day):
            n -= 1
    return day


def _unit_kind(name: str) -> str:
    return "街道" if name.endswith("街道") else ("镇" if name.endswith("镇") else "委办局")


def _place(unit: str) -> str:
    return PLACES.get(_unit_kind(unit), "{unit}办公区（具体地点以入选通知为准）").format(unit=unit)


def _get_or_add(session, model, name: str, **values):
    row = session.scalar(select(model).where(model.name == name))
    if row is None:
        row = model(name=name, **values)
        session.add(row)
        session.flush()
    return row


def load(session, now: dt.datetime | None = None, plan_path=None) -> dict[str, int]:
    """Load the programme; returns how many rows of each kind were added."""
    now = now or clock.now()
    plan = seed_plan.load(plan_path)
    added = {"units": 0, "topics": 0, "events": 0}
    existing_units = set(session.scalars(select(Unit.name)))
    existing_topics = set(session.scalars(select(Topic.name)))
    topics = {name: _get_or_add(session, Topic, name, sort_order=i) for i, name in enumerate(plan.topics, 1)}
    topics["政策公开讲"] = _get_or_add(session, Topic, "政策公开讲", sort_order=len(topics) + 1)
    names = {p.unit for p in plan.open_points} | {u for lec in plan.lectures for u in lec.units}
    units = {name: _get_or_add(session, Unit, name, kind=_unit_kind(name)) for name in sorted(names)}
    added["units"] = len(set(units) - existing_units)
    added["topics"] = len(set(topics) - existing_topics)
    today = clock.local(now).date()
    slot = 0
    for point in plan.open_points:
        slot += 1
        added["events"] += _add_open_day(session, point, units, topics, today, slot, now)
    for lecture in plan.lectures:
        slot += 1
        added["events"] += _add_lecture(session, lecture, units, topics, today, slot, now)
    session.commit()
    return added


def _dates(today: dt.date, slot: int) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """Event start, application close and planned selection date for the n-th event."""
    day = _nth_working_day_after(today, 6 + slot * 2)
    starts = dt.datetime.combine(day, TIMES[slot % len(TIMES)], tzinfo=clock.SHANGHAI)
    close_day = _nth_working_day_after(today, 3 + slot * 2)
    closes = dt.datetime.combine(close_day, dt.time(17, 0), tzinfo=clock.SHANGHAI)
    selection_day = _nth_working_day_after(close_day, 1)
    return clock.to_utc(starts), clock.to_utc(closes), selection_day


def _add_event(session, code: str, now: dt.datetime, **values) -> int:
    if session.scalar(select(Event.id).where(Event.code == code)) is not None:
        return 0
    session.add(Event(code=code, status=EventStatus.PUBLISHED, created_at=now, announced_at=now, apply_opens_at=now, **values))
    return 1


def _add_open_day(session, point, units, topics, today, slot, now) -> int:
    mode = MODES.get(point.number, EventMode.OFFLINE)
    starts, closes, selection_day = _dates(today, slot)
    livestream = mode != EventMode.OFFLINE
    return _add_event(
        session, f"OD-{point.number:02d}", now,
        kind=EventKind.OPEN_DAY, mode=mode, title=f"政务开放日·{point.label}（开放点{point.number}）",
        summary=point.description, place=_place(point.unit) if mode != EventMode.ONLINE else "线上直播",
        starts_at=starts, duration_minutes=120, agenda=AGENDA_OPEN_DAY,
        online_participation=ONLINE_HOW if livestream else "",
        unit_id=units[point.unit].id, topic_id=topics[point.topic].id,
        seats=0 if mode == EventMode.ONLINE else 30,
        apply_closes_at=None if mode == EventMode.ONLINE else closes,
        selection_planned_on=None if mode == EventMode.ONLINE else selection_day,
    )


def _add_lecture(session, lecture, units, topics, today, slot, now) -> int:
    mode = LECTURE_MODES.get(lecture.number, EventMode.OFFLINE)
    starts, closes, selection_day = _dates(today, slot)
    host, *others = lecture.units
    return _add_event(
        session, f"PL-{lecture.number}", now,
        kind=EventKind.POLICY_LECTURE, mode=mode, title=f"政策公开讲·{lecture.title}",
        summary=lecture.description, place=_place(host), starts_at=starts, duration_minutes=90,
        agenda=AGENDA_LECTURE, online_participation=ONLINE_HOW if mode != EventMode.OFFLINE else "",
        unit_id=units[host].id, co_hosts="、".join(others), topic_id=topics["政策公开讲"].id,
        seats=30, apply_closes_at=closes, selection_planned_on=selection_day,
    )
