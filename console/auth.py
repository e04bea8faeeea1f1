"""Login and logout, with throttling of login attempts in Redis.

Attempts are counted before the password is checked, atomically (one Lua call:
``INCR`` with the expiry set on the first), per (account, address): five in 15
minutes, so one address cannot guess and the others behind the same load
balancer are not locked out. A slower backstop per account across all
addresses (ten a minute) stops a spread-out attack without a hard lock. The
address is the client's as the trusted proxies report it (``TRUSTED_PROXY_HOPS``,
Werkzeug's ``ProxyFix`` in the factory). Failed logins go to the audit log.
"""

from __future__ import annotations

import redis
import structlog
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from console import access, bp
from models import StaffUser, db
from services.admin import audit, staff
from services.calendar import clock

log = structlog.get_logger("console.auth")
PAIR_MAX, PAIR_WINDOW = 5, 900  # per (account, address)
ACCOUNT_MAX, ACCOUNT_WINDOW = 10, 60  # per account, every address together
ALLOWED, PAIR_THROTTLED, ACCOUNT_THROTTLED = 0, 1, 2
_COUNT_ATTEMPT = """
local pair = redis.call('INCR', KEYS[1])
if pair == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if pair > tonumber(ARGV[3]) then return 1 end
local account = redis.call('INCR', KEYS[2])
if account == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if account > tonumber(ARGV[4]) then return 2 end
return 0
"""


class LoginForm(FlaskForm):
    username = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


def _pair_key(username: str) -> str:
    return f"login-attempts:pair:{username.lower()}|{request.remote_addr}"


def _count_attempt(username: str) -> int:
    """Count one attempt before the password check: ALLOWED or which throttle applies."""
    client = current_app.extensions["redis"]
    try:
        return int(client.eval(_COUNT_ATTEMPT, 2, _pair_key(username), f"login-attempts:account:{username.lower()}",
                               PAIR_WINDOW, ACCOUNT_WINDOW, PAIR_MAX, ACCOUNT_MAX))
    except redis.RedisError:
        log.warning("login.throttle_unavailable")
        return ALLOWED


def _forget_attempts(username: str) -> None:
    """A successful login clears its (account, address) count."""
    try:
        current_app.extensions["redis"].delete(_pair_key(username))
    except redis.RedisError:
        pass


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page."""
    if current_user.is_authenticated:
        return redirect(url_for("console.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        throttled = _count_attempt(username)
        if throttled:
            flash("登录失败次数过多，请 15 分钟后再试。" if throttled == PAIR_THROTTLED
                  else "该账号登录尝试过于频繁，请 1 分钟后再试。", "error")
            return render_template("console/login.html", form=form), 429
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None or not user.active or not staff.verify_password(user, form.password.data):
            _audit_failure(user, username)
            flash("账号或密码不正确。", "error")
            return render_template("console/login.html", form=form), 200
        _forget_attempts(username)
        login_id = staff.start_session(db.session, user, clock.now(), ip=request.remote_addr or "")
        login_user(user)
        access.anchor_session(login_id)
        return redirect(_safe_next() or url_for("console.dashboard"))
    return render_template("console/login.html", form=form)


def _audit_failure(user: StaffUser | None, username: str) -> None:
    """A failed login in the audit log: the account (when it exists) and the address."""
    audit.record(db.session, clock.now(), "login_failed", actor=None, obj=user, ip=request.remote_addr or "",
                 note="" if user is not None else f"不存在的账号（{len(username)} 个字符）")
    db.session.commit()


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/console") and "//" not in target else None


@bp.post("/logout")
def logout():
    """Log out (POST, with CSRF): every session of the account ends, not only this cookie."""
    if current_user.is_authenticated:
        staff.end_sessions(db.session, current_user._get_current_object(), clock.now(), ip=request.remote_addr or "")
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("console.login"))
