"""Login and logout, with throttling of failed attempts (Redis, per username and per IP)."""

from __future__ import annotations

import redis
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from console import access, bp
from models import StaffUser, db
from services.admin import staff
from services.calendar import clock

MAX_FAILURES = 5
WINDOW_SECONDS = 900


class LoginForm(FlaskForm):
    username = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


def _throttle_keys(username: str) -> list[str]:
    return [f"login-fail:user:{username.lower()}", f"login-fail:ip:{request.remote_addr}"]


def _failures(username: str) -> int:
    client = current_app.extensions["redis"]
    try:
        return max(int(client.get(key) or 0) for key in _throttle_keys(username))
    except redis.RedisError:
        return 0


def _record_failure(username: str) -> None:
    client = current_app.extensions["redis"]
    try:
        for key in _throttle_keys(username):
            client.incr(key)
            client.expire(key, WINDOW_SECONDS)
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
        if _failures(username) >= MAX_FAILURES:
            flash("登录失败次数过多，请 15 分钟后再试。", "error")
            return render_template("console/login.html", form=form), 429
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None or not user.active or not staff.verify_password(user, form.password.data):
            _record_failure(username)
            flash("账号或密码不正确。", "error")
            return render_template("console/login.html", form=form), 200
        login_id = staff.start_session(db.session, user, clock.now(), ip=request.remote_addr or "")
        login_user(user)
        access.anchor_session(login_id)
        return redirect(_safe_next() or url_for("console.dashboard"))
    return render_template("console/login.html", form=form)


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
