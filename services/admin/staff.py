"""Staff accounts: creation, password checks (scrypt hashes from Werkzeug) and console sessions.

A console session is anchored to the audit entry of its login. Logging out,
changing the password and deactivating the account write a revoking audit entry
for the account, and every session whose login came before it ends: the check
runs on each request, so a cookie saved before logout opens nothing afterwards.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from models import AuditLog, StaffRole, StaffUser, Unit
from services.admin import audit

ROLE_LABELS = {StaffRole.COORDINATOR: "区级协调员", StaffRole.UNIT: "单位工作人员", StaffRole.AUDITOR: "审计"}
MIN_PASSWORD = 8
# zxcvbn's score (0–4): 3 means "safely unguessable" (about 10^8 guesses) for an online attack.
MIN_STRENGTH = 3
# Words an attacker tries first against this service.
SERVICE_WORDS = ("zhengmin", "daxing", "wechat", "weixin", "console", "admin")
# Audit actions that end every session of the account they name.
REVOKING_ACTIONS = ("logout", "password_changed", "deactivated")
# The hash of a random password nobody knows, made with the parameters every account's hash has
# (``generate_password_hash(..., method="scrypt")``; tests/services/admin/test_staff_passwords.py checks they agree).
DUMMY_HASH = ("scrypt:32768:8:1$vl6UO1wosHfcUb51$adce6b9576ec2b7ce44b57d6914b77587d8b564a2e84784d27762eca2bef14d4"
              "01c318922490505fad18c7030e36492818d04ba74cdd612935d206426b331b56")


class StaffError(ValueError):
    """A staff account cannot be created as asked."""


def create_user(session, username: str, role: str, password: str, unit_name: str | None,
                display_name: str, now: dt.datetime) -> StaffUser:
    """Create an account; unit staff must name an existing unit."""
    role_enum = StaffRole(role)
    check_password(password, username)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise StaffError(f"账号 {username} 已存在")
    unit = None
    if role_enum == StaffRole.UNIT:
        if not unit_name:
            raise StaffError("单位工作人员必须用 --unit 指定所属单位")
        unit = session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            raise StaffError(f"单位“{unit_name}”不存在，请先加载数据或检查名称")
    user = StaffUser(
        username=username, role=role_enum, unit_id=unit.id if unit else None,
        password_hash=generate_password_hash(password, method="scrypt"),
        display_name=display_name or username, created_at=now,
    )
    session.add(user)
    session.commit()
    return user


def find_user(session, username: str) -> StaffUser | None:
    """The account named ``username`` exactly, active or not."""
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def verify_password(user: StaffUser | None, password: str) -> bool:
    """Whether ``password`` is the active user's.

    The same scrypt work is done whatever the answer: a missing account is checked
    against :data:`DUMMY_HASH` and a deactivated one against its own hash, so the
    answer's time does not tell an attacker which usernames exist.
    """
    matches = check_password_hash(user.password_hash if user is not None else DUMMY_HASH, password)
    return matches and user is not None and user.active


def start_session(session, user: StaffUser, now: dt.datetime, ip: str = "") -> int:
    """Record a login (audit entry, committed); its id anchors the new console session."""
    user.last_login_at = now
    entry = audit.record(session, now, "login", actor=user, obj=user, ip=ip)
    session.commit()
    return entry.id


def session_revoked(session, user_id: int, login_id: int | None) -> bool:
    """Whether the session anchored at ``login_id`` was ended (logout, new password, deactivation) since."""
    if login_id is None:
        return True
    revoked = session.scalar(
        select(AuditLog.id).where(
            AuditLog.id > login_id, AuditLog.object_type == "staffuser", AuditLog.object_id == str(user_id),
            AuditLog.action.in_(REVOKING_ACTIONS),
        ).limit(1)
    )
    return revoked is not None


def end_sessions(session, user: StaffUser, now: dt.datetime, ip: str = "", action: str = "logout", actor=None) -> None:
    """End every console session of ``user`` (committed)."""
    audit.record(session, now, action, actor=actor or user, obj=user, ip=ip)
    session.commit()


def change_password(session, user: StaffUser, password: str, now: dt.datetime, actor=None, ip: str = "") -> None:
    """Set a new password; every session of the account ends."""
    check_password(password, user.username)
    user.password_hash = generate_password_hash(password, method="scrypt")
    end_sessions(session, user, now, ip=ip, action="password_changed", actor=actor)


def deactivate(session, user: StaffUser, now: dt.datetime, actor=None, ip: str = "") -> None:
    """Deactivate the account; every session of it ends."""
    user.active = False
    end_sessions(session, user, now, ip=ip, action="deactivated", actor=actor)


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`StaffError` for a password that is too short, common or easy to guess (zxcvbn)."""
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"密码至少 {MIN_PASSWORD} 位")
    # zxcvbn's cost grows with length; the first 72 characters decide its score anyway.
    score = zxcvbn(password[:72], user_inputs=[username, *SERVICE_WORDS])["score"]
    if score < MIN_STRENGTH:
        raise StaffError("密码太容易被猜中（常见密码、键盘序列、日期、重复字符或与账号相近）。"
                         "请使用更长、不常见的密码，例如几个互不相关的词加数字或符号。")
