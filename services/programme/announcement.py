"""The announcement of an event (活动公告), composed once for every reader.

The programme requires a livestreamed event's announcement to name its time,
duration, agenda, how netizens take part and the host unit. Citizens read it in
the chat (as paragraphs) and on the event page (as sections); staff preview it
before publishing. All three come from :func:`compose`, so they never disagree,
and a draft is previewed exactly as it will read once published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import Event, EventMode, EventStatus
from services.calendar import clock
from services.messaging import wording
from services.programme import events, links
from services.programme.events import Window, WindowState

PLACE_TBD = "地点待定（以入选通知为准）"
PLACE_ONLINE = "线上直播"
AGENDA_TBD = "议程将于活动前公布。"
ONLINE_HOW_TBD = "通过本公众号观看直播，并可在公众号留言。"
LIVESTREAM_TBD = "将于活动开始前在本公众号公布"
OFFLINE_ONLY = "本场为线下活动，不安排直播；可在公众号回复【建议】在线提交意见建议。"
NO_SEATS = "线上直播，无需报名，不限人数。"
NO_REASON_GIVEN = "给您带来不便，敬请谅解。"
CO_HOSTS = "（协办：{names}）"
PARTICIPANTS = "人大代表、政协委员、群众代表（家长、企业）、媒体记者等，随机抽选并兼顾代表性"

WINDOW_OPEN = "报名中（{closes} 截止）"
WINDOW_NOT_YET = "{opens} 开始报名"
WINDOW_LABELS = {
    "closed": "报名已截止",
    "selection_done": "报名已截止（遴选已完成）",
    "started": "活动已开始或已结束",
    "no_applications": "线上直播，无需报名",
    "cancelled": "活动已取消",
    "not_published": "尚未发布",
}

HEAD = "【{title}】\n类型：{kind}\n时间：{time}\n时长：{duration}\n形式：{mode}\n地点：{place}\n主办单位：{hosts}"
CANCELLED = "【本场活动已取消】{reason}"
SEATS = "现场名额：{seats} 人（公开遴选）\n报名截止：{deadline}\n报名状态：{window}{selection}"
SELECTION_DAY = "\n遴选日期：{day}"
SELECTION_DONE = "\n遴选结果：已于 {day} 确认，结果已通知报名者"
SEATS_NONE = "参与方式：" + NO_SEATS
SUMMARY = "简介：{summary}"
AGENDA = "议程：\n{agenda}"
ONLINE = "线上参与：{how}\n直播链接：{link}"
OFFLINE = "线上参与：" + OFFLINE_ONLY
LINKS = "活动页面：{page}\n加入手机日历：{ics}"


@dataclass(frozen=True)
class Announcement:
    """Every field of one event's announcement, worded (the chat and the page lay it out differently)."""

    title: str
    kind: str
    mode: str
    time: str
    duration: str
    place: str
    hosts: str
    topic: str
    cancelled_reason: str | None  # None unless the event is cancelled
    summary: str
    agenda: str
    livestreamed: bool
    online_how: str
    livestream_url: str  # empty until staff enter it
    takes_applications: bool
    seats: int
    window: Window
    window_text: str
    opens: str
    deadline: str
    selection_day: str
    selection_done_on: str  # "" until the draw is confirmed
    notice_day: str
    page_url: str
    ics_url: str

    def paragraphs(self) -> list[str]:
        """The announcement as chat paragraphs (the chat pages them; the console shows them joined)."""
        blocks = [HEAD.format(title=self.title, kind=self.kind, time=self.time, duration=self.duration,
                              mode=self.mode, place=self.place, hosts=self.hosts)]
        if self.cancelled_reason is not None:
            blocks.insert(0, CANCELLED.format(reason=self.cancelled_reason))
        if self.takes_applications:
            selection = SELECTION_DAY.format(day=self.selection_day) if self.selection_day else ""
            if self.selection_done_on:
                selection = SELECTION_DONE.format(day=self.selection_done_on)
            blocks.append(SEATS.format(seats=self.seats, deadline=self.deadline, window=self.window_text,
                                       selection=selection))
        else:
            blocks.append(SEATS_NONE)
        if self.summary:
            blocks.append(SUMMARY.format(summary=self.summary))
        blocks.append(AGENDA.format(agenda=self.agenda))
        if self.livestreamed:
            blocks.append(ONLINE.format(how=self.online_how, link=self.livestream_url or LIVESTREAM_TBD))
        else:
            blocks.append(OFFLINE)
        blocks.append(LINKS.format(page=self.page_url, ics=self.ics_url))
        return blocks


def window_text(window: Window) -> str:
    """报名中（11月30日 周一 17:00 截止） and the like."""
    if window.state is WindowState.OPEN:
        return WINDOW_OPEN.format(closes=wording.when(window.closes_at))
    if window.state is WindowState.NOT_YET:
        return WINDOW_NOT_YET.format(opens=wording.when(window.opens_at))
    return WINDOW_LABELS[window.state.value]


def place_of(event: Event) -> str:
    """Where the event happens: its place, "online" for an online-only event, else to be announced."""
    if event.place:
        return event.place
    # An online-only event has no venue to announce: "to be confirmed in the selection notice" misleads.
    return PLACE_ONLINE if event.mode == EventMode.ONLINE else PLACE_TBD


def compose(event: Event, now: dt.datetime, base_url: str, *, as_published: bool = False) -> Announcement:
    """The announcement of ``event`` at ``now``; ``as_published`` previews a draft as citizens will see it."""
    window = events.application_window(event, now, as_published=as_published)
    hosts = event.unit.name + (CO_HOSTS.format(names=event.co_hosts) if event.co_hosts else "")
    cancelled = event.status == EventStatus.CANCELLED
    return Announcement(
        title=event.title, kind=wording.KIND_LABELS[event.kind.value], mode=wording.MODE_LABELS[event.mode.value],
        time=wording.time_range(event.starts_at, event.ends_at), duration=wording.duration(event.duration_minutes),
        place=place_of(event), hosts=hosts, topic=event.topic.name if event.topic else "",
        cancelled_reason=(event.cancel_reason or NO_REASON_GIVEN) if cancelled else None,
        summary=event.summary or "", agenda=event.agenda or AGENDA_TBD,
        livestreamed=event.is_livestreamed, online_how=event.online_participation or ONLINE_HOW_TBD,
        livestream_url=event.livestream_url or "",
        takes_applications=event.takes_applications, seats=event.seats or 0,
        window=window, window_text=window_text(window),
        opens=wording.when(window.opens_at) if window.opens_at else "",
        deadline=wording.when(window.closes_at),
        selection_day=wording.day_label(event.selection_planned_on) if event.selection_planned_on else "",
        selection_done_on=(wording.day_label(clock.local(event.selection_notified_at).date())
                           if event.selection_notified_at else ""),
        notice_day=wording.day_label(events.notice_deadline(event)),
        page_url=links.page_url(event.id, base_url), ics_url=links.ics_url(event.id, base_url),
    )
