"""Staff accounts of the web console and the audit log."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.programme import Unit
from models.types import enum_column


class StaffRole(enum.StrEnum):
    COORDINATOR = "coordinator"  # 区级协调员
    UNIT = "unit"  # 单位工作人员
    AUDITOR = "auditor"  # 审计


class StaffUser(UserMixin, TimestampMixin, db.Model):
    """A console account; unit staff belong to one unit."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, "staff_role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    openid: Mapped[str] = mapped_column(String(64), default="")
    # Binding one's WeChat (services.admin.wechat_binding): a one-time code's digest, until it expires.
    bind_code_digest: Mapped[str] = mapped_column(String(64), default="")
    bind_code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    openid_bound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class AuditLog(db.Model):
    """Who changed or exported what, when, with the before and after values."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    actor_label: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    before: Mapped[dict | None] = mapped_column(JSON, default=None)
    after: Mapped[dict | None] = mapped_column(JSON, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
