"""Staff operations on events: create, edit, publish, cancel, postpone, directed invitations.

The console validates forms and calls these; every change is written to the audit
log with before/after values, and applicants are told about a cancellation or a
postponement through the outbox in the same transaction. Callers commit.

Publishing a livestreamed event (online or hybrid) follows the plan's rule: the
announcement names time, duration, agenda, how netizens take part and the host
unit, and is published at least 3 working days before the event. A coordinator
may publish late with a recorded reason; an incomplete announcement is never
published (the missing text is one edit away).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from models import (
    Application,
    ApplicationStatus,
    Event,
    EventKind,
    EventMode,
    EventStatus,
    OutboxPurpose,
    StaffRole,
    Topic,
    Unit,
)
from services.admin import audit
from services.calendar import clock
from services.messaging import outbox, wording
from services.programme import change_reports, deadlines, events

ANNOUNCE_WORKING_DAYS = deadlines.ANNOUNCEMENT_DAYS_BEFORE
AUDITED_FIELDS = (
    "title", "kind", "mode", "status", "summary", "place", "starts_at", "duration_minutes", "agenda",
    "online_participation", "livestream_url", "unit_id", "co_hosts", "topic_id", "seats",
    "apply_opens_at", "apply_closes_at", "selection_planned_on", "announced_at",
    "publish_override_reason", "cancel_reason",
)
# Applicants in these states hear about a cancellation or a new date.
TOLD_STATUSES = (ApplicationStatus.APPLIED, ApplicationStatus.SELECTED, ApplicationStatus.WAITLISTED)


class EventAdminError(Exception):
    """A staff operation on an event that cannot be done; ``str()`` is the Chinese reason."""


class EventNotFound(EventAdminError):
    """No event with that id."""


class InvalidEventData(EventAdminError):
    """The data entered breaks a rule; ``errors`` maps field names to Chinese messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(errors.values()))


class WrongStatus(EventAdminError):
    """The event's status does not allow this operation."""


class AnnouncementIncomplete(EventAdminError):
    """A livestreamed event's announcement lacks required items (``missing``: their names)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("直播活动公告缺少：" + "、".join(missing) + "。请先编辑活动补全后再发布。")


class AnnouncementTooLate(EventAdminError):
    """Published after the last allowed day; a coordinator may override with a reason."""

    def __init__(self, deadline: dt.date) -> None:
        self.deadline = deadline
        super().__init__(
            f"直播活动应于活动开始前至少 {ANNOUNCE_WORKING_DAYS} 个工作日发布公告"
            f"（最晚 {deadline:%Y-%m-%d}），现已超过期限。如确需发布，请区级协调员填写理由后发布。")


@dataclasses.dataclass
class EventData:
    """What staff enter for an event (times aware; the console converts from Asia/Shanghai)."""

    title: str
    kind: str
    mode: str
    starts_at: dt.datetime
    unit_id: int
    duration_minutes: int = 120
    summary: str = ""
    place: str = ""
    agenda: str = ""
    online_participation: str = ""
    livestream_url: str = ""
    co_hosts: str = ""
    topic_id: int | None = None
    seats: int = 30
    apply_opens_at: dt.datetime | None = None
    apply_closes_at: dt.datetime | None = None
    selection_planned_on: dt.date | None = None


@dataclasses.dataclass
class PublishCheck:
    """What stands between an event and its publication, for the preview page."""

    missing: list[str]
    deadline: dt.date | None
    late: bool
    estimated: bool  # the deadline uses a year without an official holiday schedule
    past: bool

    @property
    def ok(self) -> bool:
        """Publishable without an override."""
        return not self.missing and not self.late and not self.past


def snapshot(event: Event) -> dict[str, Any]:
    """The audited fields of ``event`` as a plain dict."""
    return {name: getattr(event, name) for name in AUDITED_FIELDS}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def get_event(session, event_id: int) -> Event:
    """The event or :class:`EventNotFound`."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound("活动不存在。")
    return event


def validate(data: EventData, now: dt.datetime) -> None:
    """Cross-field rules; raises :class:`InvalidEventData` listing every problem."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "请填写活动名称。"
    if not data.unit_id:
        errors["unit_id"] = "请选择主责单位。"
    if data.starts_at <= now:
        errors["starts_at"] = "活动时间应晚于当前时间。"
    if data.duration_minutes <= 0:
        errors["duration_minutes"] = "时长应大于 0 分钟。"
    if data.mode != EventMode.ONLINE and not data.place.strip():
        errors["place"] = "线下或线上线下结合的活动请填写地点。"
    if data.apply_closes_at and data.apply_closes_at >= data.starts_at:
        errors["apply_closes_at"] = "报名截止时间应早于活动开始时间。"
    if data.apply_opens_at and data.apply_closes_at and data.apply_opens_at >= data.apply_closes_at:
        errors["apply_opens_at"] = "报名开始时间应早于报名截止时间。"
    if data.seats < 0:
        errors["seats"] = "名额不能为负数。"
    if errors:
        raise InvalidEventData(errors)


def _validate_with_references(session, data: EventData, now: dt.datetime) -> None:
    """:func:`validate`, and the unit and topic must exist (a forged or stale id is a field error, not a 500)."""
    errors: dict[str, str] = {}
    try:
        validate(data, now)
    except InvalidEventData as error:
        errors.update(error.errors)
    if data.unit_id and session.get(Unit, data.unit_id) is None:
        errors.setdefault("unit_id", "所选主责单位不存在，请从列表中重新选择。")
    if data.topic_id is not None and session.get(Topic, data.topic_id) is None:
        errors.setdefault("topic_id", "所选专题不存在，请从列表中重新选择。")
    if errors:
        raise InvalidEventData(errors)


def _row_values(data: EventData) -> dict[str, Any]:
    """Column values from ``data`` (kind and mode as enums, text stripped)."""
    values = dataclasses.asdict(data)
    values["kind"], values["mode"] = EventKind(data.kind), EventMode(data.mode)
    for name, value in values.items():
        if isinstance(value, str) and name not in ("kind", "mode"):
            values[name] = value.strip()
    return values


def create_event(session, data: EventData, actor, now: dt.datetime) -> Event:
    """A new draft event of ``data.unit_id``."""
    _validate_with_references(session, data, now)
    event = Event(**_row_values(data), status=EventStatus.DRAFT, created_at=now)
    session.add(event)
    session.flush()
    filled = {name: value for name, value in snapshot(event).items() if value not in ("", None)}
    audit.record(session, now, "event.create", actor, event, after=filled)
    return event


def update_event(session, event_id: int, data: EventData, actor, now: dt.datetime, change_reason: str = "") -> Event:
    """Edit an event; a published event's date moves only through :func:`postpone_event`.

    A published event's change of duration, place, mode, livestream or seats is a 报备
    (:mod:`services.programme.change_reports`): within 3 working days of the event it needs
    ``change_reason``, and its applicants are told once, in one message.
    """
    event = get_event(session, event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        raise WrongStatus("已取消或已结束的活动不能再编辑。")
    if event.status == EventStatus.PUBLISHED and data.starts_at != clock.as_utc(event.starts_at):
        raise InvalidEventData({"starts_at": "已发布的活动请通过“延期”调整时间，以便通知报名者。"})
    if event.status == EventStatus.PUBLISHED:
        _validate_with_references(
            session, dataclasses.replace(data, starts_at=max(data.starts_at, now + dt.timedelta(seconds=1))), now)
    else:
        _validate_with_references(session, data, now)
    before = snapshot(event)
    published, late = event.status == EventStatus.PUBLISHED, change_reports.is_late(event, now)
    if published:
        planned = change_reports.reported_changes(before, _row_values(data))
        try:
            change_reports.check_reason(event, planned, change_reason, now)
        except change_reports.ReasonRequired:
            raise InvalidEventData({"change_reason": "活动前 3 个工作日内变更，请填写变更原因（报备区政务服务和数据管理局）。"}
                                   ) from None
    for name, value in _row_values(data).items():
        setattr(event, name, value)
    event.updated_at = now
    old, new = _changes(before, snapshot(event))
    audit.record(session, now, "event.update", actor, event, before=old, after=new)
    if published:
        _report_edit(session, event, change_reports.reported_changes(old, new), change_reason, actor, now, late)
    return event


def _report_edit(session, event: Event, changes: dict, reason: str, actor, now: dt.datetime, late: bool) -> None:
    """The 报备 of an edit, and one message to the applicants listing every change."""
    report = change_reports.record(session, event, "edit", changes, reason, actor, now, late)
    if report is None:
        return
    report.citizens_told = _tell_applicants(
        session, event, "event_changed", f"{event.id}#change{report.id}", change_reports.citizen_text(event, report),
        {"thing": wording.field(event.title), "time": wording.when_short(event.starts_at), "status": "活动变更"}, now)


def announcement_missing(event: Event) -> list[str]:
    """The items a livestream announcement must name that this event lacks (Chinese names)."""
    required = [
        ("活动时间", event.starts_at), ("活动时长", event.duration_minutes and event.duration_minutes > 0),
        ("活动议程", event.agenda.strip()), ("网民参与方式", event.online_participation.strip()),
        ("主办单位", event.unit_id),
    ]
    return [label for label, present in required if not present]


def publish_deadline(event: Event) -> tuple[dt.date, bool]:
    """The last day a livestream may be announced, and whether it is an estimate (services.programme.deadlines)."""
    deadline = deadlines.announcement_deadline(event)
    return deadline.day, deadline.estimated


def check_publish(event: Event, now: dt.datetime) -> PublishCheck:
    """The publication rules applied to ``event`` at ``now``."""
    past = clock.as_utc(event.starts_at) <= now
    if not event.is_livestreamed:
        return PublishCheck([], None, False, False, past)
    deadline, estimated = publish_deadline(event)
    late = clock.local(now).date() > deadline
    return PublishCheck(announcement_missing(event), deadline, late, estimated, past)


def publish_event(session, event_id: int, actor, now: dt.datetime, override_reason: str = "") -> Event:
    """Publish a draft and notify the topic's followers; see the module doc for the rules."""
    event = get_event(session, event_id)
    if event.status != EventStatus.DRAFT:
        raise WrongStatus("只有草稿状态的活动可以发布。")
    check = check_publish(event, now)
    if check.past:
        raise WrongStatus("活动时间已过，不能发布。")
    if check.missing:
        raise AnnouncementIncomplete(check.missing)
    override_reason = override_reason.strip()
    if check.late:
        if getattr(actor, "role", None) != StaffRole.COORDINATOR or not override_reason:
            raise AnnouncementTooLate(check.deadline)
        event.publish_override_reason = override_reason
    before = snapshot(event)
    event.status = EventStatus.PUBLISHED
    event.announced_at = now
    event.updated_at = now
    if event.apply_opens_at is None and event.takes_applications:
        event.apply_opens_at = now
    _notify_followers(session, event, now)
    note = f"超期发布，理由：{override_reason}" if check.late else ""
    old, new = _changes(before, snapshot(event))
    audit.record(session, now, "event.publish", actor, event, before=old, after=new, note=note)
    return event


def _notify_followers(session, event: Event, now: dt.datetime) -> None:
    """Tell the topic's followers (:func:`services.programme.events.publish_notice`)."""
    events.publish_notice(session, event, now)


def cancel_event(session, event_id: int, reason: str, actor, now: dt.datetime) -> int:
    """Cancel an event and tell its applicants; returns how many were told."""
    event = get_event(session, event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        raise WrongStatus("该活动已取消或已结束。")
    if not reason.strip():
        raise InvalidEventData({"reason": "请填写取消原因，报名者会收到这条说明。"})
    before = snapshot(event)
    was_published = event.status == EventStatus.PUBLISHED
    late = change_reports.is_late(event, now)
    event.status = EventStatus.CANCELLED
    event.cancel_reason = reason.strip()
    event.updated_at = now
    when = wording.when(event.starts_at)
    text = (f"很抱歉通知您：您报名的“{event.title}”（原定{when}）已取消。原因：{event.cancel_reason}"
            "。给您带来不便，敬请谅解。")
    told = _tell_applicants(session, event, OutboxPurpose.EVENT_CANCELLED, str(event.id), text,
                            {"thing": wording.field(event.title), "time": wording.when_short(event.starts_at),
                             "status": "活动已取消"}, now) \
        if was_published else 0
    outbox.cancel_pending(session, deadlines.REMINDER_PURPOSE, deadlines.reminder_subject(event), now)
    old, new = _changes(before, snapshot(event))
    audit.record(session, now, "event.cancel", actor, event, before=old, after=new, note=f"通知报名者 {told} 人")
    if was_published:
        report = change_reports.record(session, event, "cancel", {"status": (EventStatus.PUBLISHED, event.status)},
                                       event.cancel_reason, actor, now, late)
        report.citizens_told = told
    return told


def postpone_event(session, event_id: int, new_starts_at: dt.datetime, reason: str, actor,
                   now: dt.datetime) -> int:
    """Move an event to a later time and tell its applicants; returns how many were told."""
    event = get_event(session, event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        raise WrongStatus("该活动已取消或已结束，不能延期。")
    errors = {}
    if new_starts_at <= max(now, clock.as_utc(event.starts_at)):
        errors["starts_at"] = "新的活动时间应晚于原定时间和当前时间。"
    if not reason.strip():
        errors["reason"] = "请填写延期原因，报名者会收到这条说明。"
    if errors:
        raise InvalidEventData(errors)
    before = snapshot(event)
    late, old_start = change_reports.is_late(event, now), event.starts_at
    old_when = wording.when(event.starts_at)
    # Reminders for the old time go; the scheduler queues new ones for the new time.
    outbox.cancel_pending(session, deadlines.REMINDER_PURPOSE, deadlines.reminder_subject(event), now)
    event.starts_at = new_starts_at
    event.updated_at = now
    when = wording.when(new_starts_at)
    text = (f"您好：您报名的“{event.title}”由原定{old_when}延期至{when}举行。原因：{reason.strip()}"
            "。如无法参加，可在公众号回复【我的报名】取消报名。")
    told = _tell_applicants(session, event, OutboxPurpose.EVENT_POSTPONED, f"{event.id}@{new_starts_at.isoformat()}", text,
                            {"thing": wording.field(event.title), "time": wording.when_short(new_starts_at),
                             "status": "活动延期"}, now) \
        if event.status == EventStatus.PUBLISHED else 0
    old, new = _changes(before, snapshot(event))
    audit.record(session, now, "event.postpone", actor, event, before=old, after=new,
                 note=f"原因：{reason.strip()}；通知报名者 {told} 人")
    if event.status == EventStatus.PUBLISHED:
        report = change_reports.record(session, event, "postpone", {"starts_at": (old_start, new_starts_at)},
                                       reason, actor, now, late)
        report.citizens_told = told
    return told


def _tell_applicants(session, event: Event, purpose: str, subject: str, text: str, fields: dict,
                     now: dt.datetime) -> int:
    """One outbox message per applicant who follows the account (invitees are phoned)."""
    rows = session.scalars(
        select(Application).where(Application.event_id == event.id, Application.status.in_(TOLD_STATUSES),
                                  Application.citizen_id.is_not(None))
    ).all()
    for application in rows:
        payload = {"text": wording.fit_bytes(text), "template": "notice", "data": fields, "event_id": event.id}
        outbox.enqueue(session, application.citizen.openid, purpose, subject, payload, now)
    return len(rows)


def invited_count(session, event_id: int) -> int:
    """Seats reserved for directed invitations (定向邀请)."""
    return session.scalar(
        select(func.count(Application.id)).where(Application.event_id == event_id, Application.invited.is_(True),
                                                 Application.status != ApplicationStatus.CANCELLED)
    ) or 0


def add_invitation(session, event_id: int, name: str, mobile: str, category: str, note: str, actor,
                   now: dt.datetime) -> Application:
    """A directed invitation: a reserved, already selected seat outside the lottery."""
    event = get_event(session, event_id)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        raise WrongStatus("已取消或已结束的活动不能再添加邀请。")
    errors = {}
    if not name.strip():
        errors["name"] = "请填写姓名。"
    if not category.strip():
        errors["category"] = "请选择类别。"
    if invited_count(session, event_id) >= event.seats:
        errors["name"] = f"定向邀请人数已达到活动名额（{event.seats} 人）。"
    if errors:
        raise InvalidEventData(errors)
    application = Application(
        event_id=event_id, citizen_id=None, name=name.strip(), mobile=mobile.strip(), category=category.strip(),
        reason=note.strip(), status=ApplicationStatus.SELECTED, invited=True, selected_at=now, created_at=now,
    )
    session.add(application)
    session.flush()
    audit.record(session, now, "invitation.add", actor, application,
                 after={"event_id": event_id, "category": application.category, "note": application.reason})
    return application


def remove_invitation(session, application_id: int, actor, now: dt.datetime) -> Application:
    """Withdraw a directed invitation (the row stays, cancelled, for the record)."""
    application = session.get(Application, application_id)
    if application is None or not application.invited:
        raise EventAdminError("该邀请不存在。")
    before = {"status": application.status}
    application.status = ApplicationStatus.CANCELLED
    application.cancelled_at = now
    application.updated_at = now
    audit.record(session, now, "invitation.remove", actor, application, before=before,
                 after={"status": application.status})
    return application
