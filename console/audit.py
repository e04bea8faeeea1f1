"""The audit log page (auditors and coordinators): every write and export, filterable."""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import render_template, request
from sqlalchemy import func, select

from console import NAV, bp
from console.access import roles_required
from models import AuditLog, StaffRole, db
from services.calendar import clock

PER_PAGE = 50
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")
NAV.append(("console.audit_log", "审计日志", (StaffRole.COORDINATOR, StaffRole.AUDITOR)))
# Every action the services record (``audit.record(..., "<action>", ...)``), in the words staff use.
ACTION_LABELS = {
    "change_report.ask": "要求补充变更报备", "change_report.acknowledge": "确认知悉变更报备", "change_report.answer": "补充变更报备说明",
    "moderation.approve": "公开审核通过", "moderation.reject": "公开审核不通过",
    "selection.seal": "封存抽签", "selection.draw": "按公开随机数抽签",
    "suggestion.route": "分派意见建议", "suggestion.unlink": "取消相近建议关联",
    "login": "登录", "event.create": "新建活动", "event.update": "编辑活动", "event.publish": "发布活动",
    "event.cancel": "取消活动", "event.postpone": "活动延期", "event.closing": "填写活动总结",
    "invitation.add": "添加定向邀请", "invitation.remove": "撤销定向邀请", "applications.export": "导出报名名单",
    "applications.view_personal": "查看报名者个人信息", "checkin": "现场签到", "checkin.codes": "生成签到码",
    "selection.run": "开始遴选", "selection.confirm": "确认遴选并通知", "suggestion.draft": "保存答复草稿",
    "suggestion.reply": "发布意见建议答复", "suggestion.assign": "分派意见建议", "broadcast.save": "保存群发",
    "broadcast.preview": "群发预览", "broadcast.send": "发送群发", "outbox.retry": "重发失败消息",
    "stats.export": "导出统计", "login_failed": "登录失败", "logout": "退出登录", "password_changed": "修改密码",
    "deactivated": "停用账号",
}
# 好差评 follow-ups (issue 15).
ACTION_LABELS.update({"rating.callback": "记录差评回访", "rating.reply": "发布差评整改答复"})

# Adoption progress and lecture questions (services.participation.progress / questions).
ACTION_LABELS.update({"suggestion.progress": "报送建议落实进展", "question.live": "标记讲座提问现场解答",
                      "question.reply": "书面答复讲座提问", "question.publish": "公开或撤下讲座答疑"})
ACTION_LABELS["annual.export"] = "导出年度绩效统计"  # services.admin.annual
# Binding one's WeChat (services.admin.wechat_binding, issue 26).
ACTION_LABELS.update({"staff.wechat_code": "生成微信绑定码", "staff.wechat_bound": "绑定微信",
                      "staff.wechat_moved": "微信改绑到其他账号", "staff.wechat_unbound": "解除微信绑定"})


def _date(raw: str) -> dt.date | None:
    """A YYYY-MM-DD filter value, or None."""
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _filters() -> dict:
    """Filters from the query string: action, actor (username part), from/to dates (Beijing)."""
    return {"action": request.args.get("action", "").strip(), "actor": request.args.get("actor", "").strip(),
            "date_from": _date(request.args.get("date_from", "")), "date_to": _date(request.args.get("date_to", ""))}


def _query(filters: dict):
    """The filtered log, newest first."""
    query = select(AuditLog)
    if filters["action"]:
        query = query.where(AuditLog.action == filters["action"])
    if filters["actor"]:
        query = query.where(AuditLog.actor_label.contains(filters["actor"]))
    if filters["date_from"]:
        query = query.where(AuditLog.at >= clock.to_utc(dt.datetime.combine(filters["date_from"], dt.time())))
    if filters["date_to"]:
        end = dt.datetime.combine(filters["date_to"] + dt.timedelta(days=1), dt.time())
        query = query.where(AuditLog.at < clock.to_utc(end))
    return query


def _shown(value) -> str:
    """One audited value for people: times in Beijing time, empty values named."""
    if value is None:
        return "（无）"
    if value == "":
        return "（空）"
    if isinstance(value, str):
        if ISO_MOMENT.fullmatch(value):
            return clock.local(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        return value
    return json.dumps(value, ensure_ascii=False)


@bp.app_template_filter("audit_values")
def audit_values(values: dict | None) -> str:
    """Before/after values in one readable line."""
    if not values:
        return ""
    return "；".join(f"{key}: {_shown(value)}" for key, value in values.items())


@bp.get("/audit")
@roles_required(StaffRole.COORDINATOR, StaffRole.AUDITOR)
def audit_log():
    """The audit log with filters and pages."""
    filters = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = _query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    actions = sorted(set(db.session.scalars(select(AuditLog.action).distinct())) | set(ACTION_LABELS))
    args = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.items() if v}
    return render_template("console/audit.html", rows=rows, filters=filters, actions=actions,
                           labels=ACTION_LABELS, page=page, total=total, per_page=PER_PAGE, args=args)
