"""Check-in at the door: short codes for selected participants, and the check-in itself.

Each selected participant (drawn or invited) gets a short code of unambiguous
characters (no 0/O, 1/I/L); the QR code on the citizen's phone holds the same
text. Staff type or scan it; the code must belong to this event, to a selected
person, and may be used once. Callers commit.

Check-in is open on the event's day only: from :data:`OPENS_BEFORE` (two hours)
before the start until the event ends (start + duration). Outside that window
every code is refused with the window in the message, before the code is looked
up, so a mistyped date never checks anyone in and reveals nothing about a code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import qrcode
import qrcode.image.svg
from sqlalchemy import func, select

from models import Application, ApplicationStatus, Event
from services.admin import audit
from services.calendar import clock
from services.participation.checkin_codes import assign_checkin_code

QR_PREFIX = "ZMHD:"  # what the QR code holds: prefix + code, so a stray QR code is recognisable
ATTENDING = (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN)
OPENS_BEFORE = dt.timedelta(hours=2)  # the door opens this long before the start


class CheckinError(Exception):
    """A code that cannot be checked in; ``str()`` is the Chinese message for the door."""


class UnknownCode(CheckinError):
    """No participant has this code."""


class WrongEvent(CheckinError):
    """The code belongs to a participant of another event."""


class NotSelected(CheckinError):
    """The person applied but is not (or no longer) among the selected."""


class NotOpenYet(CheckinError):
    """Check-in has not started: it opens :data:`OPENS_BEFORE` before the event."""


class CheckinClosed(CheckinError):
    """The event has ended; check-in is closed."""


class AlreadyCheckedIn(CheckinError):
    """The code was used before; ``application`` is the person, ``at`` when."""

    def __init__(self, application: Application, at: dt.datetime | None) -> None:
        self.application = application
        self.at = at
        super().__init__("此签到码已签到过，请勿重复签到。")


@dataclasses.dataclass
class Arrivals:
    """Live count for the door: arrived, expected (selected + invited), seats."""

    arrived: int
    expected: int
    seats: int


def normalise(raw: str) -> str:
    """The code from what was typed or scanned: prefix dropped, upper case, no spaces or dashes."""
    text = (raw or "").strip().upper()
    if text.startswith(QR_PREFIX):
        text = text[len(QR_PREFIX):]
    return re.sub(r"[\s\-]", "", text)


def qr_svg(text: str) -> bytes:
    """An SVG QR code of ``text`` (pure Python, no image library needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_payload(code: str) -> str:
    """The text a participant's QR code holds."""
    return QR_PREFIX + code


def ensure_code(session, application: Application) -> str:
    """The application's code, assigned now if it has none (services.participation.checkin_codes)."""
    return assign_checkin_code(session, application)


def ensure_codes(session, event_id: int, actor=None, now: dt.datetime | None = None) -> int:
    """Give every selected participant of the event a code; returns how many were new (audited)."""
    rows = session.scalars(
        select(Application).where(Application.event_id == event_id, Application.status.in_(ATTENDING),
                                  Application.checkin_code.is_(None))
    ).all()
    for application in rows:
        ensure_code(session, application)
    if rows and now is not None:
        audit.record(session, now, "checkin.codes", actor, session.get(Event, event_id),
                     after={"codes_added": len(rows)})
    return len(rows)


def window(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """When check-in at ``event`` is open: (opens, closes), UTC."""
    return event.starts_at - OPENS_BEFORE, event.ends_at


def window_text(event: Event) -> str:
    """The window as staff read it: ``3月5日 07:30–11:30``."""
    opens, closes = (clock.local(moment) for moment in window(event))
    day = f"{opens.month}月{opens.day}日"
    if opens.date() == closes.date():
        return f"{day} {opens:%H:%M}–{closes:%H:%M}"
    return f"{day} {opens:%H:%M} 至 {closes.month}月{closes.day}日 {closes:%H:%M}"


def check_window(event: Event, now: dt.datetime) -> None:
    """Refuse check-in outside the event's window (:class:`NotOpenYet`, :class:`CheckinClosed`)."""
    opens, closes = window(event)
    if now < opens:
        raise NotOpenYet(f"尚未到签到时间：本活动签到时间为 {window_text(event)}，请在活动当天签到。")
    if now > closes:
        raise CheckinClosed(f"本活动已结束，签到已关闭（签到时间为 {window_text(event)}）。")


def check_in(session, event_id: int, raw_code: str, actor, now: dt.datetime) -> Application:
    """Check the holder of ``raw_code`` in at ``event_id``; typed errors say why not."""
    event = session.get(Event, event_id)
    if event is not None:
        check_window(event, now)
    code = normalise(raw_code)
    application = session.scalar(select(Application).where(Application.checkin_code == code)) if code else None
    if application is None:
        raise UnknownCode("未找到该签到码，请核对后重新输入。")
    if application.event_id != event_id:
        # Say nothing about the other event: the code's holder is not this door's business.
        raise WrongEvent("此签到码不是本活动的签到码，不能在本活动签到，请核对。")
    if application.status == ApplicationStatus.CHECKED_IN:
        raise AlreadyCheckedIn(application, application.checked_in_at)
    if application.status != ApplicationStatus.SELECTED:
        raise NotSelected("此人不在本活动的入选名单中（可能已取消或未入选），请核实。")
    application.status = ApplicationStatus.CHECKED_IN
    application.checked_in_at = now
    application.updated_at = now
    audit.record(session, now, "checkin", actor, application, before={"status": ApplicationStatus.SELECTED},
                 after={"status": application.status, "event_id": event_id})
    return application


def event_of_pass(session, raw_code: str) -> Event | None:
    """The event a live entry pass admits to (its holder selected or checked in); None for any other code."""
    code = normalise(raw_code)
    application = session.scalar(select(Application).where(Application.checkin_code == code)) if code else None
    if application is None or application.status not in ATTENDING:
        return None
    return session.get(Event, application.event_id)


def arrivals(session, event_id: int) -> Arrivals:
    """How many have arrived, how many are expected, and the seats."""
    event = session.get(Event, event_id)
    counts = dict(session.execute(
        select(Application.status, func.count(Application.id))
        .where(Application.event_id == event_id, Application.status.in_(ATTENDING))
        .group_by(Application.status)
    ).all())
    arrived = counts.get(ApplicationStatus.CHECKED_IN, 0)
    return Arrivals(arrived, arrived + counts.get(ApplicationStatus.SELECTED, 0), event.seats if event else 0)


def recent(session, event_id: int, limit: int = 10) -> list[Application]:
    """The last people checked in, newest first."""
    return list(session.scalars(
        select(Application).where(Application.event_id == event_id,
                                  Application.status == ApplicationStatus.CHECKED_IN)
        .order_by(Application.checked_in_at.desc()).limit(limit)
    ))
