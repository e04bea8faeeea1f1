"""Staff accounts: creation and password checks (scrypt hashes from Werkzeug)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from models import StaffRole, StaffUser, Unit

ROLE_LABELS = {StaffRole.COORDINATOR: "区级协调员", StaffRole.UNIT: "单位工作人员", StaffRole.AUDITOR: "审计"}
MIN_PASSWORD = 8


class StaffError(ValueError):
    """A staff account cannot be created as asked."""


def create_user(session, username: str, role: str, password: str, unit_name: str | None,
                display_name: str, now: dt.datetime) -> StaffUser:
    """Create an account; unit staff must name an existing unit."""
    role_enum = StaffRole(role)
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"密码至少 {MIN_PASSWORD} 位")
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


def verify_password(user: StaffUser, password: str) -> bool:
    """Whether ``password`` is the user's."""
    return check_password_hash(user.password_hash, password)
