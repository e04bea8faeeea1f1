"""Pages citizens open from WeChat: an event's page, its ``.ics`` file, the month's calendar, the entry pass,
and, signed in through WeChat web authorisation, apply on one page, my applications and my suggestions."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("public", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the public pages."""
    from public import citizen, draw_record, entry_pass, pages, rating, signin  # noqa: F401  (add the routes to ``bp``)

    app.register_blueprint(bp)
