"""Chinese wording of the timing rules, the compliance board and the staff notices."""

from __future__ import annotations

import datetime as dt

from services.calendar import clock

WEEKDAYS = "一二三四五六日"

RULE_LABELS = {
    "announcement": "直播活动预告（提前3个工作日）",
    "selection_notice": "入选通知（提前1个工作日）",
    "materials": "活动资料公开（结束后5个工作日内）",
    "reminder": "入选人员提醒（提前1个工作日）",
}
SHORT_LABELS = {
    "announcement": "发布活动预告",
    "selection_notice": "发送入选通知",
    "materials": "公开活动资料",
    "reminder": "提醒入选人员",
}
FIELD_LABELS = {
    "agenda": "活动议程",
    "online_participation": "网民参与方式",
    "materials_url": "资料链接",
    "video_url": "活动视频",
}


def day_label(day: dt.date) -> str:
    """``10月9日（周五）``."""
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def moment_label(moment: dt.datetime) -> str:
    """``10月9日（周五）09:00`` in Asia/Shanghai."""
    local = clock.local(moment)
    return f"{day_label(local.date())}{local:%H:%M}"


def estimated_note(missing_years: frozenset[int]) -> str:
    """The warning appended to a date computed without an official schedule."""
    if not missing_years:
        return ""
    years = "、".join(str(year) for year in sorted(missing_years))
    return f"（注意：{years} 年法定节假日安排未载入，期限按周末和固定假日估算，可能不准）"


def _missing(missing: list[str]) -> str:
    return f"；缺少{'、'.join(missing)}" if missing else ""


def done_reason(label: str, done_at: dt.datetime, deadline: dt.date, in_time: bool, missing: list[str]) -> str:
    """A duty that was done, in time or late."""
    when = day_label(clock.local(done_at).date())
    if in_time:
        return f"已于{when}完成，期限{day_label(deadline)}{_missing(missing)}"
    return f"{when}才完成，晚于期限{day_label(deadline)}{_missing(missing)}"


def not_yet_due(label: str, deadline: dt.date) -> str:
    """A duty that cannot be done yet (materials before the event)."""
    return f"活动结束后办理，期限{day_label(deadline)}"


def overdue(label: str, deadline: dt.date, missing: list[str]) -> str:
    """A missed deadline."""
    return f"已逾期：期限{day_label(deadline)}已过，尚未完成{_missing(missing)}"


def pending(label: str, deadline: dt.date, left: int, missing: list[str]) -> str:
    """A duty still to do before its deadline."""
    when = "今天到期" if left <= 0 else f"还剩{left}个工作日"
    return f"尚未完成，期限{day_label(deadline)}（{when}）{_missing(missing)}"


def reminder_planned(at: dt.datetime) -> str:
    """The reminder is still ahead."""
    return f"将于{moment_label(at)}自动提醒"


def reminder_failed(sent: int, failed: int) -> str:
    """Some reminders could not be delivered."""
    return f"已提醒{sent}人，{failed}人发送失败（原因见“消息发送”页面）"


def reminder_sent(sent: int, queued: int) -> str:
    """Reminders sent or on their way."""
    return f"已提醒{sent}人" + (f"，{queued}人发送中" if queued else "")


def reminder_missing(count: int) -> str:
    """Participants who should have been reminded but were not queued."""
    return f"{count}名入选人员尚未提醒（请检查调度程序是否运行）"


# --- messages to staff -----------------------------------------------------------------------

DEADLINE_NOTICE = "【期限提醒】“{title}”须在{deadline}前{duty}。请登录政民互动工作台办理。"
DIGEST_HEADER = "【逾期事项日报】截至{today}，共有{count}项逾期："
DIGEST_LINE = "\n{number}. {unit}“{title}”：{duty}，期限{deadline}"
DIGEST_MORE = "\n……另有{count}项，请登录工作台查看合规看板。"
DIGEST_ITEM = "逾期事项{count}项"


def deadline_notice(title: str, rule: str, deadline: dt.date) -> str:
    """The text of a deadline reminder to a unit's staff."""
    return DEADLINE_NOTICE.format(title=title, deadline=day_label(deadline), duty=SHORT_LABELS[rule])
