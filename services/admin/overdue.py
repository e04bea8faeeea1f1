"""Everything overdue in one scope, read once: what the compliance board counts and lists.

The board's header once counted only the events whose timing rules were red, while
the same page listed overdue 差评 follow-ups and stale adoptions below: 已超期 0
above an overdue 差评. Both now come from :func:`overdue`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.participation import progress, rating_followups
from services.programme import deadlines


@dataclass(frozen=True)
class Overdue:
    """The overdue items of a scope: events with a red rule, 差评 follow-ups, adoptions without progress."""

    events: list
    follow_ups: list
    adoptions: list

    @property
    def count(self) -> int:
        """How many overdue items in all (what 已超期 says)."""
        return len(self.events) + len(self.follow_ups) + len(self.adoptions)


def overdue(session, now: dt.datetime, unit_id: int | None = None, board: list | None = None) -> Overdue:
    """The scope's overdue items; ``board`` is the compliance board already read for it, if any."""
    if board is None:
        board = deadlines.compliance_board(session, now, unit_id=unit_id)
    return Overdue(events=[item for item in board if item.status == deadlines.RED],
                   follow_ups=rating_followups.overdue(session, now, unit_id),
                   adoptions=progress.stale(session, now, unit_id=unit_id))
