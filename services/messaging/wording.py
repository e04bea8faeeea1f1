"""Chinese wording shared by every edge: labels, date formats, and the text of pushed messages.

Chat replies live in ``handlers/texts.py``; this module holds what services
themselves must word (outbox payloads are composed when a message is queued)
and the labels that chat, public pages and pushes all show the same way.
Services may import it; it imports nothing but the clock and the field rules.
"""

from __future__ import annotations

import datetime as dt

from services.calendar import clock
from services.messaging import field_rules

WEEKDAYS = "一二三四五六日"

MODE_LABELS = {"offline": "线下", "online": "线上直播", "hybrid": "线上线下结合"}
KIND_LABELS = {"open_day": "政务开放日", "policy_lecture": "政策公开讲"}
APPLICATION_STATUS_LABELS = {
    "applied": "已报名",
    "selected": "已入选",
    "waitlisted": "候补",
    "not_selected": "未入选",
    "cancelled": "已取消",
    "checked_in": "已签到",
}
SUGGESTION_STATUS_LABELS = {"received": "已收到，办理中", "replied": "已答复"}
ADOPTION_LABELS = {"adopted": "采纳", "partly": "部分采纳", "not_adopted": "暂不采纳", "transferred": "已转办"}

# A ``thing`` template field: at most 20 characters, one line (services/messaging/field_rules.py has every type).
TEMPLATE_FIELD_CHARS = 20
PUSH_TEXT_BYTES = 2000


def weekday(day: dt.date) -> str:
    """周一 … 周日."""
    return "周" + WEEKDAYS[day.weekday()]


def day_label(day: dt.date) -> str:
    """10月12日 周一."""
    return f"{day.month}月{day.day}日 {weekday(day)}"


def month_day(day: dt.date) -> str:
    """10月12日."""
    return f"{day.month}月{day.day}日"


def full_date(day: dt.date) -> str:
    """2026年10月12日."""
    return f"{day.year}年{day.month}月{day.day}日"


def when(moment: dt.datetime) -> str:
    """10月12日 周一 14:00, in Beijing time."""
    local = clock.local(moment)
    return f"{day_label(local.date())} {local:%H:%M}"


def when_short(moment: dt.datetime) -> str:
    """10月12日 14:00 (template fields, where space is short)."""
    local = clock.local(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def time_range(starts: dt.datetime, ends: dt.datetime) -> str:
    """10月12日 周一 14:00–16:00 (the end's date is added when it differs)."""
    start_local, end_local = clock.local(starts), clock.local(ends)
    if start_local.date() == end_local.date():
        return f"{when(starts)}–{end_local:%H:%M}"
    return f"{when(starts)} 至 {when(ends)}"


def duration(minutes: int) -> str:
    """约 2 小时 / 约 1 小时 30 分钟 / 约 45 分钟."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"约 {hours} 小时 {rest} 分钟"
    if hours:
        return f"约 {hours} 小时"
    return f"约 {rest} 分钟"


def field(value: str) -> str:
    """A ``thing`` template field value: one line, at most 20 characters, shortened by meaning.

    An aside in brackets goes first, then whole clauses (:func:`field_rules.shorten`); the channel fits the
    value again to the type of the key it lands in.
    """
    return field_rules.shorten(str(value), TEMPLATE_FIELD_CHARS)


def card_place(mode: str, place: str | None) -> str:
    """The place on a card, never empty: ``线上`` for an online event, else the place as staff wrote it."""
    if mode == "online" or not (place or "").strip():
        return "线上" if mode != "offline" else "见活动详情"
    return place.strip()


# A deadline reminder's card: the duty and its day in the ``thing`` (the ``time`` field holds the notice's time).
DEADLINE_ITEM = "{duty}·{day}截止"

# The answering unit on a reply card when the suggestion has none yet (a general one, answered by the district).
REPLY_UNIT_DEFAULT = "区政务服务和数据管理局"
# Reply cards' status (a ``phrase``: at most 5 Chinese characters).
QUESTION_ANSWERED = "已答复"

SELECTION_NOTES = {
    "selected": "请按时到场并出示入场码",
    "waitlisted": "您现为候补第{rank}位，有名额即通知您",
    "not_selected": "感谢关注，欢迎报名其他活动",
}


def selection_note(result: str, rank: int | None = None) -> str:
    """The selection card's last line (a ``thing``): for the waiting list, the place on it."""
    if result == "waitlisted" and not rank:
        return "您已列入候补，有名额即通知您"
    return SELECTION_NOTES[result].format(rank=rank)


def fit_bytes(text: str, limit: int = PUSH_TEXT_BYTES, tail: str = "") -> str:
    """``text`` shortened (with ``tail`` appended) so that it stays within ``limit`` UTF-8 bytes."""
    if len(text.encode()) <= limit:
        return text
    budget = limit - len(tail.encode()) - len("…".encode())
    cut = text.encode()[:budget].decode(errors="ignore")
    return cut + "…" + tail


# -- pushed messages (outbox payload texts) ------------------------------------------------

# The reminder's last line: the participant's check-in code and entry pass.
REMINDER_PASS = "\n签到码：{code}。入场时请出示入场码：<a href=\"{url}\">点此出示</a>，并请提前 15 分钟到场。"
REMINDER_CODE = "\n签到码：{code}。入场时请向工作人员出示签到码，并请提前 15 分钟到场。"

TOPIC_NOTICE = (
    "您订阅的“{topic}”专题发布了新活动：\n"
    "{title}\n"
    "时间：{when}\n"
    "形式：{mode}\n"
    "地点：{place}\n"
    "{apply_line}"
    "详情：{url}\n"
    "回复【活动】查看近期活动；回复【订阅】管理订阅。"
)
TOPIC_NOTICE_APPLY = "报名截止：{deadline}，回复【报名】参加公开遴选。\n"
TOPIC_NOTICE_NO_APPLY = "本场活动为线上直播，无需报名。\n"

WAITLIST_OFFER = (
    "好消息：您候补的活动有名额空出，现为您保留一个名额。\n"
    "{title}\n"
    "时间：{when}\n"
    "地点：{place}\n"
    "请在 {deadline} 前回复【确认参加】接受名额；如不能参加，请回复【放弃名额】。"
    "逾期未确认，名额将顺延给下一位候补。"
    "也可在“我的报名”网页确认或放弃：{url}"
)
# The offer card: its status (a ``phrase``: at most 5 Chinese characters) and, on the selection card an
# account without an offer template falls back to, the line that says by when.
WAITLIST_OFFER_STATUS = "待确认"
WAITLIST_OFFER_NOTE = "请于{deadline}前确认"
WAITLIST_OFFER_EXPIRED = (
    "您候补的“{title}”名额确认已逾期（截至 {deadline}），名额已顺延给下一位候补。感谢您的关注！"
)

SUGGESTION_REPLY = (
    "您的建议（编号 {tracking_no}）已有答复。\n"
    "采纳情况：{adoption}\n"
    "{reason_line}"
    "答复：{reply}"
)
SUGGESTION_REPLY_REASON = "说明：{reason}\n"
SUGGESTION_REPLY_TAIL = "（全文请回复【我的建议】查看）"

# -- phone calendar (.ics) -------------------------------------------------------------------

ICS_PRODUCT = "-//大兴区政民互动//zhengmin//CN"
ICS_HOST = "主办单位：{unit}"
ICS_AGENDA = "议程：\n{agenda}"
ICS_ONLINE = "线上参与：{how}"
ICS_ONLINE_DEFAULT = "通过“大兴区政民互动”公众号观看直播"
ICS_LIVESTREAM = "直播链接：{url}"
ICS_DETAILS = "详情：{url}"
ICS_REMINDER = "{title} 将于 {when} 开始"
