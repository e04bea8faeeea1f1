"""A staff member binds their own WeChat to their console account (broadcast previews, deadline notices).

The console shows a one-time code (:func:`issue_code`, valid :data:`CODE_LIFETIME`); the staff
member sends ``绑定 <code>`` to the official account from their phone, and the chat handler
calls :func:`bind` with the sender's openid. Only the code's digest is stored, on the staff
row; a code works once. An openid belongs to one account: binding it elsewhere moves it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from models import StaffUser
from services.admin import audit

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed on a phone
CODE_LENGTH = 8
CODE_LIFETIME = dt.timedelta(minutes=10)
COMMAND = "绑定"


class BindCodeInvalid(ValueError):
    """No live code matches (mistyped, used already, or expired)."""


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def normalise(code: str) -> str:
    """The code as issued: capitals, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def issue_code(session, staff: StaffUser, now: dt.datetime, ip: str = "") -> str:
    """A new one-time code for ``staff`` (any earlier one stops working); audited."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    staff.bind_code_digest, staff.bind_code_expires_at, staff.updated_at = _digest(code), now + CODE_LIFETIME, now
    audit.record(session, now, "staff.wechat_code", actor=staff, obj=staff, ip=ip)
    return code


def bind(session, openid: str, code: str, now: dt.datetime) -> StaffUser:
    """Bind ``openid`` to the account whose live code this is; :class:`BindCodeInvalid` otherwise."""
    digest = _digest(code)
    staff = session.scalar(select(StaffUser).where(
        StaffUser.bind_code_digest == digest, StaffUser.bind_code_expires_at > now, StaffUser.active.is_(True)))
    if staff is None or not secrets.compare_digest(staff.bind_code_digest, digest):
        raise BindCodeInvalid(code)
    for other in session.scalars(select(StaffUser).where(StaffUser.openid == openid, StaffUser.id != staff.id)):
        other.openid, other.openid_bound_at, other.updated_at = "", None, now
        audit.record(session, now, "staff.wechat_moved", actor=staff, obj=other, note="同一微信已绑定到其他账号",
                     ip="微信公众号")
    before = {"bound": bool(staff.openid)}
    staff.openid, staff.openid_bound_at, staff.updated_at = openid, now, now
    staff.bind_code_digest, staff.bind_code_expires_at = "", None
    # The code came through WeChat, not a browser: the address is the channel.
    audit.record(session, now, "staff.wechat_bound", actor=staff, obj=staff, before=before, after={"bound": True},
                 ip="微信公众号")
    return staff


def unbind(session, staff: StaffUser, now: dt.datetime, ip: str = "") -> None:
    """Forget the staff member's WeChat; audited."""
    before = {"bound": bool(staff.openid)}
    staff.openid, staff.openid_bound_at, staff.bind_code_digest, staff.bind_code_expires_at = "", None, "", None
    staff.updated_at = now
    audit.record(session, now, "staff.wechat_unbound", actor=staff, obj=staff, before=before, after={"bound": False},
                 ip=ip)
