"""绑定微信: a staff member binds their own WeChat (for broadcast previews and deadline notices).

The page shows a one-time code; the staff member sends ``绑定 <code>`` to the official account
from their phone (handlers/staff_binding.py). Linked from the header, not a menu entry.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console import bp
from console.access import readers
from console.forms_staff import EmptyForm
from models import db
from services.admin import wechat_binding
from services.calendar import clock
from services.privacy import hash_openid


def _page(code: str | None = None):
    settings = current_app.extensions["settings"]
    expires = current_user.bind_code_expires_at if code else None
    return render_template("console/wechat_binding.html", form=EmptyForm(), code=code, expires=expires,
                           command=wechat_binding.COMMAND, minutes=int(wechat_binding.CODE_LIFETIME.total_seconds() // 60),
                           account=settings.WECHAT_ACCOUNT_ID, openid_digest=hash_openid(current_user.openid)
                           if current_user.openid else "")


@bp.get("/wechat-binding")
@readers
def wechat_binding_page():
    """Whether this account has a WeChat bound, and how to bind one."""
    return _page()


@bp.post("/wechat-binding/code")
@readers
def wechat_binding_code():
    """A new one-time code, shown on this page only (never stored in clear)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    code = wechat_binding.issue_code(db.session, current_user, clock.now(), ip=request.remote_addr or "")
    db.session.commit()
    return _page(code)


@bp.post("/wechat-binding/unbind")
@readers
def wechat_binding_unbind():
    """Forget the bound WeChat."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    wechat_binding.unbind(db.session, current_user, clock.now(), ip=request.remote_addr or "")
    db.session.commit()
    flash("已解除微信绑定。", "success")
    return redirect(url_for("console.wechat_binding_page"))
