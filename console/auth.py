"""Login and logout, with login attempts throttled by Flask-Limiter (counts in the app's Redis).

Attempts are counted before the password is checked (an atomic increment, so 24
concurrent guesses get exactly five checks). A browser the account has logged in
from before presents a device cookie (console/login_devices.py) and is counted on
that device's own limit: five attempts, and its cookie is invalidated after five
wrong passwords. Every other browser shares two limits: five attempts per
(account, address) in 15 minutes, so one address cannot guess and the others
behind the same load balancer are not locked out, and a backstop per account
across all addresses (ten a minute), so a spread-out attack is mostly refused
without locking the owner out: their own browser is not counted there. The
address is the client's as the trusted proxies report it (``TRUSTED_PROXY_HOPS``,
Werkzeug's ``ProxyFix`` in the factory). A username that does not exist costs
the same password check as a wrong password (``staff.verify_password``). Failed
logins go to the audit log. The shell applies :data:`LOGIN_LIMITS` to the view
(app/rate_limits.py); with Redis down the throttles fail open with a warning.
"""

from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from console import access, bp, login_devices
from models import StaffUser, db
from services.admin import audit, staff
from services.calendar import clock


class LoginForm(FlaskForm):
    username = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


def _username() -> str:
    """The account a login attempt names, as the throttles count it (case-insensitive)."""
    return (request.form.get("username") or "").strip().lower()[:40]


def _device_nonce() -> str | None:
    """This request's valid device cookie for the account typed (checked once per request)."""
    if "login_device" not in g:
        g.login_device = login_devices.valid_nonce(_username())
    return g.login_device


def _from_known_device() -> bool:
    """Whether the attempt comes from a browser this account logged in from (its own limit applies)."""
    return _device_nonce() is not None


def _refused(message: str):
    """A Flask-Limiter ``on_breach`` callback: the login page again, with ``message``, as a 429."""

    def respond(_limit):  # noqa: ANN001, ANN202
        flash(message, "error")
        return make_response(render_template("console/login.html", form=LoginForm()), 429)

    return respond


# Flask-Limiter's ``limit()`` arguments for the login view, in the order they are counted: limits of one granularity
# (all are per minute) are evaluated in the order given, and the first refused stops the count, so one address
# that has used its five attempts no longer eats the account's shared ten.
LOGIN_LIMITS = [
    {"limit_value": "5 per 15 minutes", "key_func": lambda: f"login:pair:{_username()}|{request.remote_addr}",
     "methods": ["POST"], "exempt_when": _from_known_device,
     "on_breach": _refused("登录失败次数过多，请 15 分钟后再试。")},
    {"limit_value": "10 per minute", "key_func": lambda: f"login:account:{_username()}",
     "methods": ["POST"], "exempt_when": _from_known_device,
     "on_breach": _refused("该账号登录尝试过于频繁，请 1 分钟后再试。")},
    {"limit_value": "5 per 15 minutes", "key_func": lambda: f"login:device:{_device_nonce()}",
     "methods": ["POST"], "exempt_when": lambda: not _from_known_device(),
     "on_breach": _refused("本浏览器登录尝试过于频繁，请 15 分钟后再试。")},
]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page."""
    if current_user.is_authenticated:
        return redirect(url_for("console.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = staff.find_user(db.session, username)
        if not staff.verify_password(user, form.password.data):
            _audit_failure(user, username)
            flash("账号或密码不正确。", "error")
            response = make_response(render_template("console/login.html", form=form), 200)
            if _device_nonce() is not None:
                login_devices.record_failure(response, username, _device_nonce())
            return response
        _forget_attempts()
        login_id = staff.start_session(db.session, user, clock.now(), ip=request.remote_addr or "")
        login_user(user)
        access.anchor_session(login_id)
        response = redirect(_safe_next() or url_for("console.dashboard"))
        login_devices.issue(response, username)
        return response
    return render_template("console/login.html", form=form)


def _forget_attempts() -> None:
    """A successful login clears its (account, address) count, so staff on a browser without cookies are not
    refused for having logged in five times."""
    limits = current_app.extensions["rate_limiter"]
    try:
        for counted in limits.current_limits:
            if "login:pair:" in counted.key:
                limits.limiter.clear(counted.limit, *counted.request_args)
    except login_devices.STORAGE_ERRORS:
        pass


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
