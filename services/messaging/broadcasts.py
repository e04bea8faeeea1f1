"""Broadcasts (群发): compose, preview, send through the outbox, follow progress.

Two ways out, as WeChat's rules require:

* **all followers** — one WeChat mass send (``/cgi-bin/message/mass/sendall``):
  one outbox row, purpose ``broadcast_mass``, whose payload carries
  ``clientmsgid = "bc<id>"`` so a retried request is refused by WeChat (45065)
  instead of reaching every follower twice. A follower receives at most
  :data:`MONTHLY_MASS_QUOTA` mass sends a calendar month; the quota left is
  computed from this table's history.
* **a segment** (a topic's followers, an event's applicants or selected
  participants) — one outbox row per recipient, purpose ``broadcast``,
  subject ``broadcast:<id>``; the outbox key makes a second send a no-op.

Progress is read from the outbox rows: counts by status and, for failures,
by ``last_error_code``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select

from models import (
    Application,
    ApplicationStatus,
    Broadcast,
    BroadcastAudience,
    BroadcastKind,
    BroadcastStatus,
    Citizen,
    Event,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
    StaffUser,
    Topic,
    citizen_topics,
)
from services.admin import audit
from services.calendar import clock
from services.messaging import outbox

MONTHLY_MASS_QUOTA = 4
PURPOSE_MASS = "broadcast_mass"
PURPOSE_SEGMENT = "broadcast"
PURPOSE_PREVIEW = "broadcast_preview"
MASS_RECIPIENT = "@all"
MAX_TEXT_BYTES = 2000  # a customer-service text stays under 2,048 bytes
EVENT_AUDIENCES = (BroadcastAudience.APPLICANTS, BroadcastAudience.SELECTED)
SELECTED_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.CHECKED_IN)


class BroadcastError(ValueError):
    """The broadcast cannot be saved or sent as asked (message in Chinese)."""


class BroadcastForbidden(BroadcastError):
    """The staff member may not use this audience or touch this broadcast."""


@dataclass
class Progress:
    """Delivery state of one broadcast, read from its outbox rows."""

    rows: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    pending: int = 0
    retrying: int = 0
    failures: list[tuple[int | None, str, int]] = field(default_factory=list)  # (code, error, count)

    def count(self, status: OutboxStatus, rows: int, retrying: bool = False) -> None:
        """Add ``rows`` outbox rows in ``status`` (``retrying``: pending after a failed attempt)."""
        self.rows += rows
        if status == OutboxStatus.SENT:
            self.sent += rows
        elif status == OutboxStatus.FAILED:
            self.failed += rows
        elif status == OutboxStatus.CANCELLED:
            self.cancelled += rows
        else:
            self.pending += rows
            self.retrying += rows if retrying else 0

    @property
    def finished(self) -> int:
        """Rows in a final state."""
        return self.sent + self.failed + self.cancelled

    @property
    def percent(self) -> int:
        """Share of rows in a final state, 0–100."""
        return 100 if self.rows == 0 else int(100 * self.finished / self.rows)

    @property
    def done(self) -> bool:
        """Every row has reached a final state."""
        return self.rows > 0 and self.finished == self.rows

    def as_dict(self) -> dict:
        """JSON for the live progress bar."""
        return {"rows": self.rows, "sent": self.sent, "failed": self.failed, "cancelled": self.cancelled,
                "pending": self.pending, "retrying": self.retrying, "percent": self.percent, "done": self.done,
                "failures": [{"code": c, "error": e, "count": n} for c, e, n in self.failures]}


def subject_of(broadcast_id: int) -> str:
    """The outbox subject of a broadcast's rows."""
    return f"broadcast:{broadcast_id}"


def client_msg_id(broadcast_id: int) -> str:
    """The mass send's ``clientmsgid``: stable per broadcast, so a retry never doubles."""
    return f"bc{broadcast_id}"


# --- quota and audiences -------------------------------------------------------------------


def _month_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The current calendar month in Asia/Shanghai, as UTC bounds [start, end)."""
    local = clock.local(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return clock.to_utc(start), clock.to_utc(end)


def mass_quota(session, now: dt.datetime) -> dict:
    """Mass sends used and left this month (a follower gets at most 4 a month)."""
    start, end = _month_bounds(now)
    used = session.scalar(
        select(func.count(Broadcast.id)).where(
            Broadcast.audience_kind == BroadcastAudience.ALL, Broadcast.status != BroadcastStatus.DRAFT,
            Broadcast.sent_at >= start, Broadcast.sent_at < end,
        )
    ) or 0
    return {"quota": MONTHLY_MASS_QUOTA, "used": used, "remaining": max(0, MONTHLY_MASS_QUOTA - used),
            "month": clock.local(now).strftime("%Y-%m")}


def _followers():
    """Citizens who follow the account and have not erased their data."""
    return select(Citizen.openid).where(Citizen.following.is_(True), Citizen.erased_at.is_(None))


def audience_openids(session, audience: BroadcastAudience, ref: int | None) -> list[str]:
    """The openids a segment broadcast goes to (deduplicated, in a stable order)."""
    query = _followers()
    if audience == BroadcastAudience.TOPIC:
        query = query.join(citizen_topics, citizen_topics.c.citizen_id == Citizen.id).where(
            citizen_topics.c.topic_id == ref)
    elif audience in EVENT_AUDIENCES:
        statuses = SELECTED_STATUSES if audience == BroadcastAudience.SELECTED else (
            *SELECTED_STATUSES, ApplicationStatus.APPLIED, ApplicationStatus.WAITLISTED,
            ApplicationStatus.NOT_SELECTED)
        query = query.join(Application, Application.citizen_id == Citizen.id).where(
            Application.event_id == ref, Application.status.in_(statuses), Application.erased_at.is_(None))
    return list(dict.fromkeys(session.scalars(query.order_by(Citizen.id))))


def audience_label(session, broadcast: Broadcast) -> str:
    """A short Chinese description of the audience (for lists and reports)."""
    kind, ref = broadcast.audience_kind, broadcast.audience_ref
    if kind == BroadcastAudience.ALL:
        return "全部关注用户（微信群发）"
    if kind == BroadcastAudience.TOPIC:
        topic = session.get(Topic, ref) if ref else None
        return f"关注专题“{topic.name if topic else ref}”的用户"
    event = session.get(Event, ref) if ref else None
    who = "报名人员" if kind == BroadcastAudience.APPLICANTS else "入选人员"
    return f"活动“{event.title if event else ref}”的{who}"


# --- permissions and validation ----------------------------------------------------------


def may_use_audience(staff: StaffUser, audience: BroadcastAudience, event: Event | None) -> bool:
    """Coordinators: every audience; unit staff: their own events' applicants or selected."""
    if staff.role == StaffRole.COORDINATOR:
        return True
    if staff.role != StaffRole.UNIT or audience not in EVENT_AUDIENCES or event is None:
        return False
    return event.unit_id == staff.unit_id


def may_see(staff: StaffUser, broadcast: Broadcast) -> bool:
    """Coordinators and auditors see every broadcast; unit staff their unit's."""
    if staff.role in (StaffRole.COORDINATOR, StaffRole.AUDITOR):
        return True
    return broadcast.unit_id is not None and broadcast.unit_id == staff.unit_id


def _check_url(url: str) -> str:
    """An http(s) link without spaces or quotes (it ends up inside an <a href>)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in " \"'<>"):
        raise BroadcastError("请填写以 http:// 或 https:// 开头的有效链接")
    return url


def message_text(kind: BroadcastKind, title: str, content: str, url: str) -> str:
    """The text citizens receive; a link becomes an <a> WeChat renders as a tappable link."""
    if kind == BroadcastKind.LINK:
        parts = [title.strip(), content.strip(), f'<a href="{url}">点击阅读全文</a>']
        return "\n".join(p for p in parts if p)
    return content.strip()


def _validate(kind: BroadcastKind, title: str, content: str, url: str) -> tuple[str, str, str]:
    """Cleaned (title, content, url) or :class:`BroadcastError`."""
    title, content = (title or "").strip(), (content or "").strip()
    if kind == BroadcastKind.LINK:
        url = _check_url(url or "")
        if not title:
            raise BroadcastError("文章链接需要填写标题")
    else:
        url = ""
        if not content:
            raise BroadcastError("请填写群发内容")
    if len(message_text(kind, title, content, url).encode("utf-8")) > MAX_TEXT_BYTES:
        raise BroadcastError("内容过长：微信文本消息不超过 2048 字节（约 600 个汉字）")
    return title, content, url


def _resolve_audience(session, staff: StaffUser, audience: BroadcastAudience, ref: int | None) -> int | None:
    """Check the audience exists and the staff member may use it; returns its unit id."""
    event = None
    if audience == BroadcastAudience.TOPIC and (ref is None or session.get(Topic, ref) is None):
        raise BroadcastError("请选择专题")
    if audience in EVENT_AUDIENCES:
        event = session.get(Event, ref) if ref else None
        if event is None:
            raise BroadcastError("请选择活动")
    if not may_use_audience(staff, audience, event):
        raise BroadcastForbidden("您无权向该对象群发")
    return event.unit_id if event is not None else None


# --- writes -----------------------------------------------------------------------------


def _snapshot(broadcast: Broadcast) -> dict:
    """Audit view of a broadcast."""
    return {"audience": broadcast.audience_kind, "ref": broadcast.audience_ref, "kind": broadcast.kind,
            "title": broadcast.title, "content": broadcast.content, "url": broadcast.url, "status": broadcast.status}


def save_draft(session, staff: StaffUser, audience: str, ref: int | None, kind: str, title: str, content: str,
               url: str, now: dt.datetime, broadcast_id: int | None = None, ip: str = "") -> Broadcast:
    """Create a draft, or update one that has not been sent; audited."""
    audience, kind = BroadcastAudience(audience), BroadcastKind(kind)
    ref = None if audience == BroadcastAudience.ALL else ref
    unit_id = _resolve_audience(session, staff, audience, ref)
    title, content, url = _validate(kind, title, content, url)
    broadcast, before = None, None
    if broadcast_id is not None:
        broadcast = _editable(session, staff, broadcast_id)
        before = _snapshot(broadcast)
    else:
        broadcast = Broadcast(created_by_id=staff.id, created_at=now)
        session.add(broadcast)
    broadcast.audience_kind, broadcast.audience_ref, broadcast.unit_id = audience, ref, unit_id
    broadcast.kind, broadcast.title, broadcast.content, broadcast.url = kind, title, content, url
    broadcast.updated_at = now
    session.flush()
    audit.record(session, now, "broadcast.save", actor=staff, obj=broadcast, before=before,
                 after=_snapshot(broadcast), ip=ip)
    return broadcast


def _editable(session, staff: StaffUser, broadcast_id: int) -> Broadcast:
    """A draft the staff member may change."""
    broadcast = get_visible(session, staff, broadcast_id)
    if broadcast.status != BroadcastStatus.DRAFT:
        raise BroadcastError("该群发已发送，不能再修改")
    _resolve_audience(session, staff, broadcast.audience_kind, broadcast.audience_ref)
    return broadcast


def get_visible(session, staff: StaffUser, broadcast_id: int) -> Broadcast:
    """The broadcast if the staff member may see it; LookupError / BroadcastForbidden otherwise."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise LookupError(broadcast_id)
    if not may_see(staff, broadcast):
        raise BroadcastForbidden("无权查看该群发")
    return broadcast


def preview(session, staff: StaffUser, broadcast_id: int, now: dt.datetime, ip: str = "") -> OutboxMessage:
    """Queue the message to the staff member's own WeChat (no quota used); audited."""
    broadcast = _editable(session, staff, broadcast_id)
    if not staff.openid:
        raise BroadcastError("您的账号尚未绑定微信，无法预览；请先在工作台右上角“绑定微信”完成绑定")
    text = message_text(broadcast.kind, broadcast.title, broadcast.content, broadcast.url)
    subject = f"{subject_of(broadcast.id)}:preview:{int(now.timestamp())}"
    row = outbox.enqueue(session, staff.openid, PURPOSE_PREVIEW, subject,
                         {"text": text, "msgtype": "text", "preview": True, "broadcast_id": broadcast.id}, now)
    audit.record(session, now, "broadcast.preview", actor=staff, obj=broadcast, ip=ip)
    return row


def send(session, staff: StaffUser, broadcast_id: int, now: dt.datetime, ip: str = "") -> Broadcast:
    """Queue the broadcast: one mass row for all followers, else one row per recipient; audited."""
    broadcast = _editable(session, staff, broadcast_id)
    text = message_text(broadcast.kind, broadcast.title, broadcast.content, broadcast.url)
    if broadcast.audience_kind == BroadcastAudience.ALL:
        _queue_mass(session, broadcast, text, now)
    else:
        _queue_segment(session, broadcast, text, now)
    broadcast.status, broadcast.sent_at, broadcast.updated_at = BroadcastStatus.SENDING, now, now
    audit.record(session, now, "broadcast.send", actor=staff, obj=broadcast,
                 after={"audience": broadcast.audience_kind, "total": broadcast.total}, ip=ip)
    return broadcast


def _queue_mass(session, broadcast: Broadcast, text: str, now: dt.datetime) -> None:
    """One mass-send row with a stable clientmsgid, within the monthly quota."""
    if mass_quota(session, now)["remaining"] <= 0:
        raise BroadcastError(f"本月群发次数已用完（每位关注用户每月最多接收 {MONTHLY_MASS_QUOTA} 条群发消息）")
    followers = session.scalar(select(func.count()).select_from(_followers().subquery())) or 0
    if followers == 0:
        raise BroadcastError("目前没有关注用户，无法群发")
    broadcast.clientmsgid = client_msg_id(broadcast.id)
    broadcast.total = followers
    outbox.enqueue(session, MASS_RECIPIENT, PURPOSE_MASS, subject_of(broadcast.id), {
        "mass": True, "is_to_all": True, "msgtype": "text", "text": text,
        "clientmsgid": broadcast.clientmsgid, "broadcast_id": broadcast.id,
    }, now, channel="mass")


def _queue_segment(session, broadcast: Broadcast, text: str, now: dt.datetime) -> None:
    """One row per recipient; the outbox key keeps each citizen to one copy."""
    openids = audience_openids(session, broadcast.audience_kind, broadcast.audience_ref)
    if not openids:
        raise BroadcastError("该对象目前没有可接收消息的关注用户")
    payload = {"text": text, "broadcast_id": broadcast.id}
    if broadcast.kind == BroadcastKind.LINK:
        payload["url"] = broadcast.url
        payload["title"] = broadcast.title
    for openid in openids:
        outbox.enqueue(session, openid, PURPOSE_SEGMENT, subject_of(broadcast.id), dict(payload), now)
    broadcast.total = len(openids)


# --- reads --------------------------------------------------------------------------------


def _rows(broadcast: Broadcast):
    """The outbox rows that deliver ``broadcast``."""
    purpose = PURPOSE_MASS if broadcast.audience_kind == BroadcastAudience.ALL else PURPOSE_SEGMENT
    return (OutboxMessage.purpose == purpose, OutboxMessage.subject == subject_of(broadcast.id))


def progress(session, broadcast: Broadcast, now: dt.datetime) -> Progress:
    """Counts of the broadcast's outbox rows; marks it done (with totals) once all are final."""
    result = Progress()
    counts = session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error_code.is_not(None), func.count())
        .where(*_rows(broadcast)).group_by(OutboxMessage.status, OutboxMessage.last_error_code.is_not(None))
    ).all()
    for status, has_error, count in counts:
        result.count(status, count, retrying=bool(has_error))
    result.failures = [tuple(row) for row in session.execute(
        select(OutboxMessage.last_error_code, func.max(OutboxMessage.last_error), func.count())
        .where(*_rows(broadcast), OutboxMessage.status == OutboxStatus.FAILED)
        .group_by(OutboxMessage.last_error_code).order_by(func.count().desc())
    )]
    _settle(broadcast, result, now)
    return result


def _settle(broadcast: Broadcast, result: Progress, now: dt.datetime) -> None:
    """Copy the people counts onto the broadcast and close it when every row is final.

    ``sent_count`` / ``failed_count`` are the one source of a broadcast's numbers: the list,
    its page and its report all read them, and they follow the rows (a retried failure too).
    A mass send is one row for ``total`` followers: it counts them all, sent or failed.
    """
    if broadcast.status == BroadcastStatus.DRAFT or result.rows == 0:
        return
    is_mass = broadcast.audience_kind == BroadcastAudience.ALL
    broadcast.sent_count = broadcast.total if (is_mass and result.sent) else result.sent
    broadcast.failed_count = broadcast.total if (is_mass and (result.failed or result.cancelled)) \
        else result.failed + result.cancelled
    if result.done and broadcast.status == BroadcastStatus.SENDING:
        broadcast.status, broadcast.finished_at, broadcast.updated_at = BroadcastStatus.DONE, now, now


def settle_all(session, found: list[Broadcast], now: dt.datetime) -> None:
    """Bring the counts of many broadcasts up to date from their rows in one read (the history list)."""
    sent = {b.id: b for b in found if b.status != BroadcastStatus.DRAFT}
    if not sent:
        return
    wanted = {(PURPOSE_MASS if b.audience_kind == BroadcastAudience.ALL else PURPOSE_SEGMENT, subject_of(b.id)): b
              for b in sent.values()}
    results = {b.id: Progress() for b in sent.values()}
    rows = session.execute(
        select(OutboxMessage.purpose, OutboxMessage.subject, OutboxMessage.status, func.count())
        .where(OutboxMessage.purpose.in_((PURPOSE_MASS, PURPOSE_SEGMENT)),
               OutboxMessage.subject.in_([subject for _, subject in wanted]))
        .group_by(OutboxMessage.purpose, OutboxMessage.subject, OutboxMessage.status))
    for purpose, subject, status, count in rows:
        broadcast = wanted.get((purpose, subject))
        if broadcast is None:
            continue
        results[broadcast.id].count(status, count)
    for broadcast_id, result in results.items():
        _settle(sent[broadcast_id], result, now)


def waiting(broadcast: Broadcast) -> int:
    """People the broadcast has not reached or failed yet."""
    return max(0, (broadcast.total or 0) - (broadcast.sent_count or 0) - (broadcast.failed_count or 0))


def history(session, staff: StaffUser, limit: int = 200) -> list[Broadcast]:
    """Broadcasts the staff member may see, newest first."""
    query = select(Broadcast).order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(limit)
    if staff.role == StaffRole.UNIT:
        query = query.where(Broadcast.unit_id == staff.unit_id)
    return list(session.scalars(query))


def event_choices(session, staff: StaffUser) -> list[Event]:
    """Events whose applicants the staff member may reach, newest first."""
    query = select(Event).order_by(Event.starts_at.desc())
    if staff.role != StaffRole.COORDINATOR:
        query = query.where(Event.unit_id == staff.unit_id)
    return list(session.scalars(query))
