"""After the event: attendance, material links, video, closing note (活动总结与材料公开).

The programme (四（二）) asks every responsible unit to publish its materials on the
district website within 5 working days after the event, and a lecture video for every
政策公开讲. Attendance is not typed in: it is the number of people checked in at the door.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from models import (
    Application,
    ApplicationStatus,
    Citizen,
    Event,
    EventKind,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    citizen_topics,
)
from services.admin import audit
from services.calendar import clock
from services.messaging import outbox, wording
from services.programme import closing_texts, deadlines, links

MAX_LINKS_LENGTH = 500  # Event.materials_url holds the links, one per line
# The video (or the materials) is pushed once per event and recipient: the outbox key is (openid, purpose, event).
RECORDING_PURPOSE = "event_recording"


class ClosingError(ValueError):
    """The closing record cannot be saved as given (message in Chinese)."""


@dataclass(frozen=True)
class DueDate:
    """When the materials are due, and whether the calendar had to estimate it."""

    date: dt.date
    estimated: bool


def materials_due(event: Event) -> DueDate:
    """The 5th working day after the event, on the official calendar (services.programme.deadlines)."""
    deadline = deadlines.materials_deadline(event)
    return DueDate(deadline.day, deadline.estimated)


def attendance(session, event_id: int) -> int:
    """How many people were checked in at the door."""
    return session.scalar(select(func.count(Application.id)).where(
        Application.event_id == event_id, Application.status == ApplicationStatus.CHECKED_IN)) or 0


def split_links(text: str) -> list[str]:
    """Links from a textarea: one per line, blanks dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _valid_url(url: str) -> bool:
    """http(s) with a host, no spaces or quotes."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in url for c in " \"'<>")


def _check(event: Event, links: list[str], video_url: str, now: dt.datetime) -> None:
    """Raise :class:`ClosingError` for anything the rules or the columns cannot take."""
    if event.starts_at > now:
        raise ClosingError("活动尚未开始，不能填写活动总结")
    bad = [link for link in [*links, video_url] if link and not _valid_url(link)]
    if bad:
        raise ClosingError(f"链接无效（需以 http:// 或 https:// 开头）：{bad[0]}")
    if len("\n".join(links)) > MAX_LINKS_LENGTH:
        raise ClosingError(f"材料链接总长度不能超过 {MAX_LINKS_LENGTH} 个字符")
    if event.kind == EventKind.POLICY_LECTURE and not video_url:
        raise ClosingError("政策公开讲须同步发布讲解视频，请填写视频链接")


def _snapshot(event: Event) -> dict:
    """Audit view of the closing fields."""
    return {"materials_url": event.materials_url, "video_url": event.video_url, "closing_note": event.closing_note,
            "materials_published_at": event.materials_published_at}


def record(session, event_id: int, staff, materials: str, video_url: str, note: str, now: dt.datetime,
           ip: str = "", base_url: str | None = None) -> Event:
    """Save the material links, video and closing note; the first save dates the publication. Audited.

    Once a video or materials are recorded, the event's applicants and its topic's
    followers get them pushed (:func:`push_recording`), once each.
    """
    event = session.get(Event, event_id)
    if event is None:
        raise LookupError(event_id)
    links, video_url = split_links(materials), (video_url or "").strip()
    _check(event, links, video_url, now)
    before = _snapshot(event)
    event.materials_url = "\n".join(links)
    event.video_url = video_url
    event.closing_note = (note or "").strip()
    if links and event.materials_published_at is None:
        event.materials_published_at = now
    event.updated_at = now
    after = {**_snapshot(event), "attendance": attendance(session, event.id)}
    audit.record(session, now, "event.closing", actor=staff, obj=event, before=before, after=after, ip=ip)
    push_recording(session, event, now, base_url)
    return event


def recipients(session, event: Event) -> list[str]:
    """Openids of the event's applicants and its topic's followers, following the account.

    Every applicant, cancelled ones included: who cancelled mostly could not come, and
    the video or materials are public anyway (docs/ratings-and-recordings.md). A citizen
    who erased their data has no applications left, so gets nothing.
    """
    applicants = select(Citizen.openid).join(Application, Application.citizen_id == Citizen.id).where(
        Application.event_id == event.id, Citizen.following.is_(True))
    found = list(session.scalars(applicants))
    if event.topic_id is not None:
        found += session.scalars(
            select(Citizen.openid).join(citizen_topics, citizen_topics.c.citizen_id == Citizen.id)
            .where(citizen_topics.c.topic_id == event.topic_id, Citizen.following.is_(True)))
    return sorted(set(found))


def push_recording(session, event: Event, now: dt.datetime, base_url: str | None = None) -> int:
    """Queue the video (policy lectures) or the materials link (open days) to every recipient; how many.

    One message per (recipient, event): saving the report again queues nothing new;
    a link corrected before the message went out replaces the queued text.
    """
    links_now = split_links(event.materials_url)
    if event.status == EventStatus.CANCELLED or not (event.video_url or links_now):
        return 0
    payload = _recording_payload(event, links_now, links.page_url(event.id, base_url))
    openids = recipients(session, event)
    for openid in openids:
        row = outbox.enqueue(session, openid, RECORDING_PURPOSE, f"event:{event.id}", payload, now)
        if row.status == OutboxStatus.PENDING and row.payload != payload:
            row.payload, row.updated_at = payload, now
    return len(openids)


def pushed_count(session, event_id: int) -> int:
    """How many citizens the event's video or materials were queued for (any delivery state)."""
    return session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.purpose == RECORDING_PURPOSE, OutboxMessage.subject == f"event:{event_id}")) or 0


def _recording_payload(event: Event, links_now: list[str], page: str) -> dict:
    """The pushed text (customer-service message) and its card (template ``notice``)."""
    texts = closing_texts
    what = texts.WHAT_BOTH if event.video_url and links_now else texts.WHAT_VIDEO if event.video_url \
        else texts.WHAT_MATERIALS
    lines = (texts.VIDEO_LINE.format(url=event.video_url) if event.video_url else "") + "".join(
        texts.MATERIALS_LINE.format(url=link) for link in links_now)
    text = texts.RECORDING_PUSH.format(title=event.title, when=wording.when(event.starts_at), what=what,
                                       lines=lines, url=page)
    status_line = texts.CARD_STATUS_VIDEO if event.video_url else texts.CARD_STATUS_MATERIALS
    data = {"status": wording.field(status_line), "title": wording.field(event.title),
            "time": wording.field(wording.when_short(event.starts_at))}
    return {"text": wording.fit_bytes(text), "template": "notice", "data": data,
            "url": event.video_url or page, "event_id": event.id}


def status(session, event: Event, now: dt.datetime) -> dict:
    """What the closing page shows: attendance, due date, and whether it is late."""
    due = materials_due(event)
    published = event.materials_published_at
    published_on = clock.local(published).date() if published else None
    late = (published_on or clock.local(now).date()) > due.date
    return {"attendance": attendance(session, event.id), "due": due.date, "due_estimated": due.estimated,
            "published_on": published_on, "late": late, "links": split_links(event.materials_url),
            "video_required": event.kind == EventKind.POLICY_LECTURE, "pushed": pushed_count(session, event.id)}
