"""An event as an iCalendar file: local time zone Asia/Shanghai and a reminder before it starts."""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar
from icalendar import Event as CalendarEvent

from models import Event
from services.calendar import clock
from services.messaging import wording

REMINDER_BEFORE = dt.timedelta(hours=2)


def event_calendar(event: Event, url: str, now: dt.datetime) -> bytes:
    """The ``.ics`` body for one event."""
    calendar = Calendar()
    calendar.add("prodid", wording.ICS_PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    item = CalendarEvent()
    item.add("uid", f"event-{event.id}@zhengmin.daxing")
    item.add("dtstamp", now)
    item.add("dtstart", clock.local(event.starts_at))
    item.add("dtend", clock.local(event.ends_at))
    item.add("summary", event.title)
    item.add("location", event.place or wording.MODE_LABELS[event.mode.value])
    item.add("description", _description(event, url))
    item.add("url", url)
    item.add("status", "CANCELLED" if event.status.value == "cancelled" else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", wording.ICS_REMINDER.format(title=event.title, when=wording.when(event.starts_at)))
    alarm.add("trigger", -REMINDER_BEFORE)
    item.add_component(alarm)
    calendar.add_component(item)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _description(event: Event, url: str) -> str:
    parts = [f"{wording.KIND_LABELS[event.kind.value]}｜{wording.MODE_LABELS[event.mode.value]}",
             wording.ICS_HOST.format(unit=event.unit.name)]
    if event.agenda:
        parts.append(wording.ICS_AGENDA.format(agenda=event.agenda))
    if event.is_livestreamed:
        parts.append(wording.ICS_ONLINE.format(how=event.online_participation or wording.ICS_ONLINE_DEFAULT))
        if event.livestream_url:
            parts.append(wording.ICS_LIVESTREAM.format(url=event.livestream_url))
    parts.append(wording.ICS_DETAILS.format(url=url))
    return "\n\n".join(parts)
