"""The public pages: read-only views over :mod:`services.programme` (the event page is its announcement)."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, render_template, request

from models import db
from public import bp
from public.ics import event_calendar
from services import selection
from services.calendar import clock
from services.messaging import wording
from services.programme import announcement, events, links


def _base_url() -> str:
    return current_app.extensions["settings"].PUBLIC_BASE_URL


def _event_or_404(event_id: int):
    try:
        return events.get(db.session, event_id)
    except events.EventNotFound:
        abort(404)


@bp.get("/events/<int:event_id>")
def event_page(event_id: int) -> str:
    """An event's announcement: every field the programme requires."""
    event, now = _event_or_404(event_id), clock.now()
    # After the event: no livestream to enter and nothing to add to a calendar.
    return render_template(
        "public/event.html", event=event, a=announcement.compose(event, now, _base_url()), t=announcement,
        calendar_month=f"{clock.local(event.starts_at):%Y-%m}", over=now >= event.ends_at,
        lottery_sealed=selection.current_seal(db.session, event.id) is not None,
        ended_at=wording.when(event.ends_at),
    )


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int) -> Response:
    """The event as an iCalendar file for a phone's calendar (Asia/Shanghai, with a reminder)."""
    event = _event_or_404(event_id)
    body = event_calendar(event, links.page_url(event.id, _base_url()), clock.now())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    return response


def _month(raw: str | None, today: dt.date) -> tuple[int, int]:
    """``YYYY-MM`` from the query string, else this month."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


@bp.get("/calendar")
def calendar() -> str:
    """The month's published events, grouped by day (mobile page)."""
    today = clock.local(clock.now()).date()
    year, month = _month(request.args.get("month"), today)
    found = events.in_month(db.session, year, month)
    days: dict[dt.date, list] = {}
    for event in found:
        days.setdefault(clock.local(event.starts_at).date(), []).append(event)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return render_template(
        "public/calendar.html", year=year, month=month, days=days, w=wording, today=today,
        previous=f"{previous[0]}-{previous[1]:02d}", following=f"{following[0]}-{following[1]:02d}",
    )
