"""Pages citizens open from WeChat: an event's page, its ``.ics`` file, the month's calendar, the entry pass,
and, signed in through WeChat web authorisation, apply on one page, my applications and my suggestions; the public list of adopted suggestions and how far each has got."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("public", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the public pages."""
    from public import (  # noqa: F401  (add the routes to ``bp``)
        adoptions,  # noqa: F401  (采纳建议落实情况; progress in 我的建议)
        citizen,
        draw_record,
        entry_pass,
        lecture_questions,  # noqa: F401  (a lecture's answered questions on its page)
        pages,
        rating,
        signin,
    )

    app.register_blueprint(bp)
