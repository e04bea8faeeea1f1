"""Applications for public selection (公开遴选): apply, list, cancel, check-in codes.

The waiting list (offers of freed seats) lives in :mod:`services.participation.waitlist`; its
public functions are re-exported here so callers need one module.

One citizen has at most one application per event (a unique constraint);
a cancelled application may be renewed while the window is still open.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from models import Application, ApplicationStatus, Citizen, Event, random_application_number, run
from services.participation import citizens, streets
from services.participation.checkin_codes import (  # noqa: F401
    CHECKIN_ALPHABET,
    assign_checkin_code,
    generate_checkin_code,
)
from services.participation.waitlist import (
    is_offered,
    offer_free_seats,
)
from services.programme import events

CATEGORIES = ("人大代表", "政协委员", "群众代表（家长）", "群众代表（企业）", "媒体记者", "其他群众")
ACTIVE = (ApplicationStatus.APPLIED, ApplicationStatus.SELECTED, ApplicationStatus.WAITLISTED)
NAME_CHARS = (2, 20)
REASON_CHARS = 200
_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z·•. ]*[\u4e00-\u9fffA-Za-z]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


class ApplicationError(Exception):
    """Base of the errors an edge turns into its own words."""


class InvalidName(ApplicationError):
    """Not a plausible name of 2–20 characters."""


class InvalidMobile(ApplicationError):
    """Not a mainland mobile number."""


class InvalidCategory(ApplicationError):
    """Not one of :data:`CATEGORIES`."""


class InvalidStreet(ApplicationError):
    """Not one of the district's streets and towns."""


class ApplicationsClosed(ApplicationError):
    """The event does not take applications now; ``window`` says why and when."""

    def __init__(self, event: Event, window: events.Window) -> None:
        self.event = event
        self.window = window
        super().__init__(window.state.value)


class AlreadyApplied(ApplicationError):
    """The citizen already has an application for this event."""

    def __init__(self, application: Application) -> None:
        self.application = application
        super().__init__(application.status.value)


class ApplicationNotFound(ApplicationError):
    """No such application of this citizen."""


class CannotCancel(ApplicationError):
    """The application cannot be cancelled: ``reason`` is ``started`` or ``final``."""

    def __init__(self, application: Application, reason: str) -> None:
        self.application = application
        self.reason = reason
        super().__init__(reason)


@dataclass
class Cancelled:
    """What a cancellation did: the application and the offers it caused."""

    application: Application
    freed_seat: bool
    offers: list[Application] = field(default_factory=list)


# -- validation ---------------------------------------------------------------------------

def clean_name(text: str) -> str:
    """The name, trimmed; :class:`InvalidName` unless 2–20 letters (Chinese or Latin, · allowed)."""
    name = " ".join(text.split())
    if not NAME_CHARS[0] <= len(name) <= NAME_CHARS[1] or not _NAME.fullmatch(name):
        raise InvalidName(text)
    return name


def clean_mobile(text: str) -> str:
    """11 digits of a mainland mobile; spaces, dashes and a +86 prefix are accepted."""
    digits = re.sub(r"[\s\-－()（）]", "", text)
    digits = digits.translate(str.maketrans("０１２３４５６７８９＋", "0123456789+"))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
    if not _MOBILE.fullmatch(digits):
        raise InvalidMobile(text)
    return digits


def clean_category(text: str) -> str:
    """The category picked by number (1–6) or named; :class:`InvalidCategory` otherwise."""
    raw = "".join(text.split()).replace("(", "（").replace(")", "）")
    if raw.isdigit() and 1 <= int(raw) <= len(CATEGORIES):
        return CATEGORIES[int(raw) - 1]
    if raw in CATEGORIES:
        return raw
    aliases = {"家长": CATEGORIES[2], "家长代表": CATEGORIES[2], "企业": CATEGORIES[3], "企业代表": CATEGORIES[3],
               "媒体": CATEGORIES[4], "记者": CATEGORIES[4], "群众": CATEGORIES[5], "其他": CATEGORIES[5]}
    if raw in aliases:
        return aliases[raw]
    raise InvalidCategory(text)


def clean_street(text: str) -> str:
    """The street or town (see :mod:`services.participation.streets`)."""
    street = streets.match(text)
    if street is None:
        raise InvalidStreet(text)
    return street


# -- applying -----------------------------------------------------------------------------

def existing(session, openid: str, event_id: int) -> Application | None:
    """The citizen's application for the event, if any."""
    return session.scalar(
        select(Application).join(Citizen, Application.citizen_id == Citizen.id)
        .where(Citizen.openid == openid, Application.event_id == event_id)
    )


def check_can_apply(session, openid: str, event_id: int, now: dt.datetime) -> Event:
    """The event if this citizen may apply now; :class:`ApplicationsClosed` or :class:`AlreadyApplied`."""
    event = events.get(session, event_id)
    window = events.application_window(event, now)
    previous = existing(session, openid, event_id)
    if previous is not None and previous.status != ApplicationStatus.CANCELLED:
        raise AlreadyApplied(previous)
    if not window.is_open:
        raise ApplicationsClosed(event, window)
    return event


def saved_details(session, openid: str) -> dict[str, str] | None:
    """The details the citizen saved last time (offered for reuse), or None."""
    citizen = session.scalar(select(Citizen).where(Citizen.openid == openid))
    if citizen is None or not citizen.saved_name or not citizen.saved_mobile:
        return None
    return {"name": citizen.saved_name, "mobile": citizen.saved_mobile,
            "category": citizen.saved_category, "street": citizen.saved_street}


def apply(session, openid: str, event_id: int, *, name: str, mobile: str, category: str, street: str,
          reason: str, now: dt.datetime, save_details: bool = True) -> Application:
    """Create the citizen's application (validated again here); saves the details for next time."""
    details = dict(name=clean_name(name), mobile=clean_mobile(mobile), category=clean_category(category),
                   street=clean_street(street), reason=" ".join(reason.split())[:REASON_CHARS])
    event = check_can_apply(session, openid, event_id, now)
    citizen = citizens.get_or_create(session, openid, now)
    application = existing(session, openid, event_id)
    if application is not None:  # a cancelled one, renewed
        _renew(application, details, now)
    else:
        application = Application(event_id=event.id, citizen_id=citizen.id, status=ApplicationStatus.APPLIED,
                                  number=new_number(session, event.id), created_at=now, **details)
        try:
            with session.begin_nested():
                session.add(application)
        except IntegrityError:
            # The same citizen's other request (a retry) got there first.
            raise AlreadyApplied(existing(session, openid, event_id)) from None
    citizen.erased_at = None  # new details given after an erasure: the citizen may be contacted again
    if save_details:
        citizen.saved_name, citizen.saved_mobile = details["name"], details["mobile"]
        citizen.saved_category, citizen.saved_street = details["category"], details["street"]
        citizen.updated_at = now
    return application


def new_number(session, event_id: int) -> str:
    """A 报名编号 not yet used in this event (eight random digits: 1 in 10⁸ to clash, then drawn again)."""
    while True:
        number = random_application_number()
        if session.scalar(select(Application.id).where(Application.event_id == event_id,
                                                       Application.number == number)) is None:
            return number


def _renew(application: Application, details: dict, now: dt.datetime) -> None:
    for key, value in details.items():
        setattr(application, key, value)
    application.status = ApplicationStatus.APPLIED
    application.waitlist_rank = None
    application.offer_expires_at = None
    application.cancelled_at = None
    application.updated_at = now


# -- reading ------------------------------------------------------------------------------

def list_mine(session, openid: str) -> list[Application]:
    """The citizen's applications, the soonest event first, past events last."""
    rows = session.scalars(
        select(Application).join(Citizen, Application.citizen_id == Citizen.id)
        .join(Event, Application.event_id == Event.id).where(Citizen.openid == openid)
        .order_by(Event.starts_at.desc(), Application.id.desc())
    ).all()
    return list(rows)


# The chat's reads of a citizen's own rows, built once (models.run): ids and dates only, nothing personal.
_MINE_WITH_DATES = (select(Application.id, Event.starts_at).join(Citizen, Application.citizen_id == Citizen.id)
                    .join(Event, Application.event_id == Event.id).where(Citizen.openid == bindparam("openid")))
_APPLIED_EVENT_IDS = (select(Application.event_id).join(Citizen, Application.citizen_id == Citizen.id)
                      .where(Citizen.openid == bindparam("openid"), Application.status != ApplicationStatus.CANCELLED))


def ids_in_date_order(session, openid: str, now: dt.datetime) -> list[int]:
    """The citizen's applications: coming events soonest first, then past events, the latest first."""
    rows = run(session, _MINE_WITH_DATES, openid=openid).all()
    coming = sorted((starts_at, id_) for id_, starts_at in rows if starts_at >= now)
    past = sorted(((starts_at, id_) for id_, starts_at in rows if starts_at < now), reverse=True)
    return [id_ for _, id_ in coming + past]


def applied_event_ids(session, openid: str) -> set[int]:
    """The events the citizen has applied for and not cancelled (ids only: nothing personal is read)."""
    return set(run(session, _APPLIED_EVENT_IDS, openid=openid).scalars())


def get_mine(session, openid: str, application_id: int) -> Application:
    """One of the citizen's applications; :class:`ApplicationNotFound` otherwise."""
    application = session.get(Application, application_id)
    if application is None or application.citizen is None or application.citizen.openid != openid:
        raise ApplicationNotFound(application_id)
    return application


# -- cancelling ---------------------------------------------------------------------------

def cancel(session, openid: str, application_id: int, now: dt.datetime) -> Cancelled:
    """Cancel an application until the event starts; a freed seat is offered to the waiting list."""
    application = get_mine(session, openid, application_id)
    if application.status not in ACTIVE:
        raise CannotCancel(application, "final")
    if now >= application.event.starts_at:
        raise CannotCancel(application, "started")
    held_seat = application.status == ApplicationStatus.SELECTED or is_offered(application)
    # Conditional update: of two concurrent cancels of the same row only one wins.
    result = session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status.in_(ACTIVE))
        .values(status=ApplicationStatus.CANCELLED, cancelled_at=now, offer_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(application)
    if result.rowcount != 1:
        raise CannotCancel(application, "final")
    offers = offer_free_seats(session, application.event_id, now, limit=1) if held_seat else []
    return Cancelled(application, held_seat, offers)
