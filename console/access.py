"""Who may see and change what: roles, unit scoping, login manager set-up."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from flask import Flask, abort, session
from flask_login import current_user, login_required

from models import StaffRole, StaffUser, db
from services.admin import staff
from services.calendar import clock

# The session key holding the id of the login's audit entry (see services.admin.staff).
LOGIN_ID = "login_id"

ROLE_LABELS = {StaffRole.COORDINATOR: "区级协调员", StaffRole.UNIT: "单位工作人员", StaffRole.AUDITOR: "审计"}


def init_login(app: Flask) -> None:
    """Flask-Login (bound to the app by the shell): load staff by id; anonymous users go to the login page."""
    login_manager = app.login_manager
    login_manager.login_view = "console.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"
    # Idle expiry: the signed cookie is re-issued on each request and refused once older than this.
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=app.extensions["settings"].CONSOLE_IDLE_SECONDS)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True

    @login_manager.user_loader
    def _load(user_id: str) -> StaffUser | None:
        user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active:
            return None
        login_id = session.get(LOGIN_ID)
        if not isinstance(login_id, int) or staff.session_revoked(db.session, user.id, login_id):
            return None
        return user


def anchor_session(login_id: int) -> None:
    """Tie the session just logged in to its login entry, and make it expire when idle."""
    session[LOGIN_ID] = login_id
    session.permanent = True


def roles_required(*roles: StaffRole) -> Callable:
    """Logged in and holding one of ``roles``; otherwise 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


# Anyone logged in may read; auditors may not write.
readers = roles_required(StaffRole.COORDINATOR, StaffRole.UNIT, StaffRole.AUDITOR)
writers = roles_required(StaffRole.COORDINATOR, StaffRole.UNIT)
coordinators = roles_required(StaffRole.COORDINATOR)


def can_see_unit(unit_id: int | None) -> bool:
    """Coordinators and auditors see every unit; unit staff only their own."""
    if current_user.role in (StaffRole.COORDINATOR, StaffRole.AUDITOR):
        return True
    return unit_id is not None and unit_id == current_user.unit_id


def require_unit(unit_id: int | None) -> None:
    """403 unless the current user may see ``unit_id``'s objects."""
    if not can_see_unit(unit_id):
        abort(403)


def scoped_unit_id() -> int | None:
    """The unit a list should be limited to (None = all units)."""
    return current_user.unit_id if current_user.role == StaffRole.UNIT else None


def may_see_personal_data() -> bool:
    """Clear mobiles: coordinators and unit staff (for their own events); auditors see masks."""
    return current_user.role in (StaffRole.COORDINATOR, StaffRole.UNIT)


def local_filter(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Jinja filter: a stored UTC time shown in Asia/Shanghai."""
    if moment is None:
        return ""
    if not hasattr(moment, "hour"):
        return moment.strftime(fmt.split(" ")[0])
    return clock.local(moment).strftime(fmt)


def event_or_404(event_id: int):
    """The event ``event_id`` if it exists (404) and the current user may see its unit (403)."""
    from models import Event

    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require_unit(event.unit_id)
    return event


def actor_ip() -> str:
    """The client address recorded in audit entries."""
    from flask import request

    return request.remote_addr or ""
