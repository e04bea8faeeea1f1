"""公开审核: citizen text (masked) waiting for approval before a public page shows it.

Unit staff approve their unit's items; text the word list held back (敏感词复核)
waits for a coordinator. Approving may correct the masked text first; the citizen
is told once when theirs is published. Every decision goes through
``services.participation.moderation``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console import NAV, bp
from console.access import readers, require_unit, scoped_unit_id, writers
from console.forms_staff import EmptyForm
from models import db
from services.calendar import clock
from services.participation import moderation, moderation_texts

NAV.append(("console.moderation_list", "公开审核", None))


@bp.get("/moderation")
@readers
def moderation_list():
    """Items awaiting a decision, oldest first (a unit sees its own)."""
    items = moderation.waiting(db.session, scoped_unit_id())
    sources = {item.id: moderation.source_of(db.session, item) for item in items}
    return render_template("console/moderation.html", items=items, sources=sources, form=EmptyForm(),
                           kind_labels=moderation_texts.KIND_LABELS, status_labels=moderation_texts.STATUS_LABELS)


def _item(item_id: int):
    try:
        item = moderation.get(db.session, item_id)
    except moderation.ItemNotFound:
        abort(404)
    require_unit(moderation.unit_of(db.session, item))
    return item


@bp.post("/moderation/<int:item_id>/approve")
@writers
def moderation_approve(item_id: int):
    """Publish the item, with the (masked) text as corrected on the page."""
    item = _item(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        moderation.approve(db.session, item.id, current_user, clock.now(), text=request.form.get("text"),
                           answer=request.form.get("answer"), ip=request.remote_addr or "")
    except moderation.NeedsCoordinator:
        db.session.rollback()
        flash("该内容含需复核的词语，须由区级协调员审核后公开。", "error")
        return redirect(url_for("console.moderation_list") + f"#m{item_id}")
    except moderation.EmptyText:
        db.session.rollback()
        flash(f"公开内容不能为空，且不超过 {moderation.MAX_CHARS} 字。", "error")
        return redirect(url_for("console.moderation_list") + f"#m{item_id}")
    db.session.commit()
    flash("已审核通过并公开，已通知市民。", "success")
    return redirect(url_for("console.moderation_list"))


@bp.post("/moderation/<int:item_id>/reject")
@writers
def moderation_reject(item_id: int):
    """Keep the item off the public page."""
    item = _item(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    moderation.reject(db.session, item.id, current_user, clock.now(), note=request.form.get("note", ""),
                      ip=request.remote_addr or "")
    db.session.commit()
    flash("已决定不予公开。", "success")
    return redirect(url_for("console.moderation_list"))
