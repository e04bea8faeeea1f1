"""Outbox failures: messages that finally failed, with WeChat's reason; coordinators may retry."""

from __future__ import annotations

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console import NAV, bp
from console.access import coordinators, readers
from console.forms_staff import EmptyForm
from models import Application, Broadcast, Event, OutboxMessage, OutboxStatus, StaffRole, Suggestion, db
from models import purpose_label as models_purpose_label
from services.admin import audit
from services.calendar import clock
from services.messaging import delivery, send_plan
from services.privacy import pii

NAV.append(("console.outbox_failures", "发送失败", None))

PAGE_SIZE = 500
ERROR_LABELS = {
    -1: "微信系统繁忙", 40001: "access_token 无效", 40003: "openid 无效", 40014: "access_token 不合法",
    40037: "模板 ID 无效", 42001: "access_token 已过期", 43004: "用户未关注公众号", 43101: "用户拒收（未订阅）",
    45009: "接口调用超出频率限制", 45015: "超出 48 小时客服消息时限", 45028: "群发额度已用完",
    45047: "客服消息条数超出限制", 45065: "重复群发（clientmsgid 已使用）", 47003: "模板参数不正确",
    48001: "公众号没有该接口权限",
}
# Subject prefixes that name the object a message is about, to find its unit.
SUBJECT_MODELS = {"event": Event, "broadcast": Broadcast, "suggestion": Suggestion, "application": Application}


@bp.app_template_filter("wx_error")
def error_label(code: int | None, fallback: str = "") -> str:
    """Chinese reason for a WeChat error code (falls back to the raw message)."""
    if code is None:
        return fallback or "未知原因"
    return ERROR_LABELS.get(int(code), fallback or f"错误 {code}")


@bp.app_template_filter("purpose_label")
def purpose_label(purpose: str) -> str:
    """Chinese name of an outbox purpose (labelled beside its enum, :class:`models.OutboxPurpose`)."""
    return models_purpose_label(purpose)


def unit_of(message: OutboxMessage, cache: dict) -> int | None:
    """The unit a message belongs to, read from its subject (``event:12``, ``broadcast:3``…)."""
    kind, _, rest = message.subject.partition(":")
    model = SUBJECT_MODELS.get(kind)
    ident = rest.split(":", 1)[0]
    if model is None or not ident.isdigit():
        return None
    key = (kind, int(ident))
    if key not in cache:
        row = db.session.get(model, int(ident))
        cache[key] = _row_unit(row)
    return cache[key]


def _row_unit(row) -> int | None:
    """Unit id of an event, broadcast, suggestion or application."""
    if row is None:
        return None
    if isinstance(row, Application):
        return row.event.unit_id if row.event else None
    if isinstance(row, Suggestion):
        return row.event.unit_id if row.event else row.unit_id
    return row.unit_id


def _visible_failures(purpose: str, code: str) -> list[OutboxMessage]:
    """Final failures the current user may see, newest first, filtered."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    if code.lstrip("-").isdigit():
        query = query.where(OutboxMessage.last_error_code == int(code))
    rows = db.session.scalars(query.order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
                              .limit(PAGE_SIZE)).all()
    if current_user.role != StaffRole.UNIT:
        return list(rows)
    cache: dict = {}
    return [m for m in rows if unit_of(m, cache) == current_user.unit_id]


@bp.get("/outbox")
@readers
def outbox_failures():
    """Messages that finally failed, with reasons and (for coordinators) a retry button."""
    purpose, code = request.args.get("purpose", ""), request.args.get("code", "")
    rows = _visible_failures(purpose, code)
    by_reason = Counter((m.last_error_code, error_label(m.last_error_code, m.last_error)) for m in rows)
    purposes = sorted({p for p in db.session.scalars(select(OutboxMessage.purpose).distinct())})
    subjects = {m.subject: send_plan.subject_text(db.session, m.subject) for m in rows}
    return render_template("console/outbox.html", rows=rows, by_reason=by_reason.most_common(), form=EmptyForm(),
                           purposes=purposes, purpose=purpose, code=code, openid_hash=pii.hash_openid,
                           subjects=subjects)


def _retry_failed(ids: list[int], now) -> int:
    """Put final failures back to pending through services.messaging.delivery; one audit entry per row.

    A row another coordinator already retried (now pending or sent) is skipped. The row
    keeps its key (and a mass send its clientmsgid), so a retry never becomes a second message.
    """
    count = 0
    for row in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.FAILED)).all():
        before = {"status": row.status, "attempts": row.attempts, "last_error_code": row.last_error_code}
        delivery.retry(db.session, row.id, now)
        audit.record(db.session, now, "outbox.retry", actor=current_user, obj=row, before=before,
                     after={"status": row.status}, ip=request.remote_addr or "")
        count += 1
    return count


@bp.post("/outbox/retry")
@coordinators
def outbox_retry():
    """Put the chosen failed messages back to pending (coordinators); audited."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if not ids:
        flash("请先勾选要重试的消息。", "error")
        return redirect(url_for("console.outbox_failures"))
    count = _retry_failed(ids, clock.now())
    db.session.commit()
    flash(f"已将 {count} 条消息重新放入发送队列。", "success")
    return redirect(url_for("console.outbox_failures"))
