"""Ratings on three months of demo events, for the statistics and the annual report.

Made through the services, as citizens and staff would: checked-in participants,
the invitations at each event's end, ratings in the 7-day window, one 差评 answered
on time and one left overdue.

=======  =====  ==========  ============  ==========================  =============================
event    month  topic       unit          invited → ratings (levels)  差评
=======  =====  ==========  ============  ==========================  =============================
OD-01    03     优化营商环境  观音寺街道     4 → 3 (1, 3, 5)              o_r3 answered the same day
OD-08    04     保障改善民生  采育镇        2 → 1 (4)                   o_r5 never answered (overdue)
OD-09    04     保障改善民生  采育镇        1 → 1 (2)                   —
OD-13    04     政策专属礼包  市场监管局     1 → 1 (1)                   —
=======  =====  ==========  ============  ==========================  =============================
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import ApplicationStatus, Event, StaffUser
from services.participation import rating_followups, rating_invitations, ratings
from tests.scheduler.fixtures import make_participant

# (event code, [(openid, level or None when the person does not rate)])
PLAN = [
    ("OD-01", [("o_r1", 1), ("o_r2", 3), ("o_r3", 5), ("o_r4", None)]),
    ("OD-08", [("o_r5", 4), ("o_r6", None)]),
    ("OD-09", [("o_r7", 2)]),
    ("OD-13", [("o_r8", 1)]),
]
AFTER = dt.timedelta(hours=1)


def make_ratings(session, coordinator_id: int) -> dict[str, Event]:
    """Ratings as in the table above; the events by code."""
    events = {e.code: e for e in session.scalars(select(Event).where(Event.code.in_([c for c, _ in PLAN])))}
    for code, people in PLAN:
        event = events[code]
        for openid, _ in people:
            make_participant(session, event, openid, status=ApplicationStatus.CHECKED_IN)
        ended = event.ends_at + AFTER
        rating_invitations.invite(session, ended)
        for openid, level in people:
            if level is not None:
                rating, _ = ratings.rate(session, openid, event.id, level, [], "", ended)
                if openid == "o_r3":
                    follow_up = rating_followups.open_for(session, rating, ended)
                    staff = session.get(StaffUser, coordinator_id)
                    rating_followups.answer(session, follow_up.id, staff, "已致电说明并整改", ended)
    session.commit()
    return events
