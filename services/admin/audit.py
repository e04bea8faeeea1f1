"""The audit log: every write and every export by staff, with before and after."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Any

from models import AuditLog

# Where the current request came from, set once by the edge (the console, for every request) so that
# every entry records it, also from services whose callers never passed ``ip``.
_ADDRESS: ContextVar[str] = ContextVar("audit_address", default="")


def set_address(address: str) -> None:
    """The address the entries of this request record when the caller gives none ("" to clear)."""
    _ADDRESS.set(address or "")


def record(session, now: dt.datetime, action: str, actor=None, obj: Any = None, *,
           before: dict | None = None, after: dict | None = None, note: str = "", ip: str = "") -> AuditLog:
    """Add an audit entry to the caller's transaction (not committed here)."""
    entry = AuditLog(
        at=now, action=action, actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "username", "") or ("system" if actor is None else str(actor)),
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or ""), before=_plain(before), after=_plain(after), note=note,
        ip=ip or _ADDRESS.get(),
    )
    session.add(entry)
    return entry


def _plain(values: dict | None) -> dict | None:
    """JSON-safe copy (dates as ISO strings, enums by value)."""
    if values is None:
        return None
    out = {}
    for key, value in values.items():
        if isinstance(value, dt.datetime | dt.date):
            out[key] = value.isoformat()
        elif hasattr(value, "value"):
            out[key] = value.value
        else:
            out[key] = value
    return out
