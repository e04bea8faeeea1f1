"""The staff web console (server-rendered, Chinese): blueprint and wiring.

Views live in one module per area (auth, events, applications, checkin,
suggestions, broadcasts, compliance, stats, audit); each adds its routes to
``bp`` when imported. ``init_app`` imports them all.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")

def init_app(app: Flask) -> None:
    """Register the console blueprint, its views and the login manager."""
    # Each view module adds its routes (and its menu entry, in this order) to ``bp`` when imported.
    from console import auth, dashboard, events  # noqa: F401, I001
    from console import applications, selection, checkin, suggestions  # noqa: F401, I001
    from console import broadcasts, compliance, stats, audit, outbox, closing  # noqa: F401, I001
    from console import ratings  # noqa: F401  (issue 15: 差评 follow-ups)
    from console import questions  # noqa: F401, I001  (讲座答疑: questions before a policy lecture)
    from console import annual  # noqa: F401, I001  (issue 15: the annual per-unit report, 绩效考核)
    from console import moderation, triage, change_reports  # noqa: F401, I001  (issue 29: 公开审核, 分派, 报备)
    from console import wechat_binding  # noqa: F401, I001  (issue 26: staff bind their WeChat; header link)
    from console import access

    access.init_login(app)
    app.register_blueprint(bp)
    app.jinja_env.filters.setdefault("local", access.local_filter)
    app.context_processor(_template_helpers)


@bp.before_request
def _audit_address() -> None:
    """Every audit entry of a console request records the staff member's address (issue 26)."""
    from flask import request

    from services.admin import audit

    audit.set_address(request.remote_addr or "")


@bp.teardown_request
def _clear_audit_address(_exc=None) -> None:
    from services.admin import audit

    audit.set_address("")


# (endpoint, label, roles allowed or None for every logged-in role); views add theirs here.
NAV: list[tuple[str, str, tuple | None]] = [("console.dashboard", "工作台", None)]


def _template_helpers() -> dict:
    from flask import current_app
    from flask_login import current_user

    from console.access import ROLE_LABELS

    def nav_items():
        if not current_user.is_authenticated:
            return []
        return [
            (endpoint, label) for endpoint, label, roles in NAV
            if (roles is None or current_user.role in roles) and endpoint in current_app.view_functions
        ]

    return {"nav_items": nav_items, "role_label": lambda role: ROLE_LABELS.get(role, str(role)),
            "calendar_warnings": calendar_warnings, "calendar_banner": calendar_banner}


CALENDAR_DISMISSED = "calendar_banner_dismissed"  # session key: the staff member closed the banner


def calendar_warnings() -> list[str]:
    """The working-day calendar's warnings in full (the compliance board shows them)."""
    try:
        from services.calendar import workdays

        return workdays.calendar_health().get("warnings", [])
    except Exception:  # the page must render even if the calendar cannot
        return ["工作日历无法加载，请联系运维人员。"]


def calendar_banner() -> dict | None:
    """The one-line banner above every page: the years without a holiday schedule, or None.

    None once the staff member dismissed it for this session, and on the compliance
    board, which shows the warnings in full.
    """
    import re

    from flask import request, session

    if session.get(CALENDAR_DISMISSED) or request.endpoint == "console.compliance_board":
        return None
    warnings = calendar_warnings()
    if not warnings:
        return None
    years = sorted({int(year) for text in warnings for year in re.findall(r"^(\d{4}) 年", text)})
    return {"years": "、".join(str(year) for year in years), "full": " ".join(warnings)}
