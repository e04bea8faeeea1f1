"""好差评 statistics: satisfaction rate, response rate and 差评 follow-up timeliness, by event, unit,
topic and month (an event counts in the month it starts, Asia/Shanghai; one without a topic under
:data:`NO_TOPIC`).

* satisfaction rate = (非常满意 + 满意 + 基本满意) / all ratings (a changed rating counts as it is now);
* response rate = ratings by invited participants / invitations (online ratings are counted in the
  ratings and the satisfaction rate, not in the response rate: nobody invited them);
* follow-ups on time = follow-ups answered within both deadlines / follow-ups answered or overdue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from models import Citizen, Event, Rating, RatingFollowUp
from services.calendar import clock
from services.participation import rating_followups, rating_invitations, ratings

NO_TOPIC = "未分专题"


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent with one decimal; None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def _blank() -> dict:
    return {"invitations": 0, "ratings": 0, "invited_ratings": 0, "satisfied": 0, "bad": 0, "online": 0,
            "follow_ups": 0, "judged": 0, "on_time": 0, "overdue": 0}


def _finish(row: dict) -> dict:
    row["satisfaction_rate"] = percent(row["satisfied"], row["ratings"])
    row["response_rate"] = percent(row["invited_ratings"], row["invitations"])
    row["on_time_rate"] = percent(row["on_time"], row["judged"])
    return row


def _count_follow_up(row: dict, follow_up: RatingFollowUp, today: dt.date) -> None:
    state = rating_followups.state(follow_up, today)
    row["follow_ups"] += 1
    if state.status == rating_followups.DONE:
        row["judged"] += 1
        row["on_time"] += int(bool(state.on_time))
    elif state.status == rating_followups.RED:
        row["judged"] += 1
        row["overdue"] += 1


def summary(session, events: list[Event], now: dt.datetime) -> dict:
    """{"total": row, "by_event": [row…], "by_unit": [row…]} for ``events``."""
    ids = [e.id for e in events]
    invitations = rating_invitations.invitation_counts(session, ids)
    by_event = {e.id: {**_blank(), "event": e, "invitations": invitations.get(e.id, 0)} for e in events}
    found = session.execute(select(Rating, Citizen.openid).join(Citizen, Rating.citizen_id == Citizen.id)
                            .where(Rating.event_id.in_(ids))).all() if ids else []
    invited = {event_id: rating_invitations.invited_openids(session, event_id)
               for event_id in {r.event_id for r, _ in found}}
    for rating, openid in found:
        row = by_event[rating.event_id]
        row["ratings"] += 1
        row["satisfied"] += int(rating.level in ratings.SATISFIED)
        row["bad"] += int(rating.level in ratings.BAD)
        row["online"] += int(rating.online)
        row["invited_ratings"] += int(openid in invited[rating.event_id])
    today = clock.local(now).date()
    follow_ups = session.scalars(select(RatingFollowUp).where(RatingFollowUp.event_id.in_(ids))).all() if ids else []
    for follow_up in follow_ups:
        _count_follow_up(by_event[follow_up.event_id], follow_up, today)
    total = _blank()
    for row in by_event.values():
        for key in _blank():
            total[key] += row[key]
    rated = [_finish(row) for row in by_event.values() if row["invitations"] or row["ratings"]]
    return {"total": _finish(total), "by_event": rated,
            "by_unit": _grouped(by_event.values(), lambda e: e.unit.name),
            "by_topic": _grouped(by_event.values(), lambda e: e.topic.name if e.topic else NO_TOPIC),
            "by_month": _grouped(by_event.values(), month_of)}


def month_of(event: Event) -> str:
    """The event's month as ``YYYY-MM`` (local start)."""
    return clock.local(event.starts_at).strftime("%Y-%m")


def _grouped(rows, key) -> list[dict]:
    """Event rows added up per ``key(event)``, sorted by name; groups with nothing to count left out."""
    groups: dict[str, dict] = defaultdict(_blank)
    for row in rows:
        name = key(row["event"])
        group = groups[name]
        group["name"] = name
        for field in _blank():
            group[field] += row[field]
    return sorted((_finish(g) for g in groups.values() if g["invitations"] or g["ratings"]),
                  key=lambda g: g["name"])
