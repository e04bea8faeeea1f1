"""The public page 采纳建议落实情况: every adopted suggestion and how far its unit has got, without personal data.

It shows the tracking number, the event, the unit, the adoption and the unit's own
progress notes; the suggestion and the reply only as staff approved them, with
personal data masked (:mod:`services.participation.moderation`), never who wrote it.
"""

from __future__ import annotations

from flask import render_template

from models import db
from public import bp
from services.participation import moderation, progress


@bp.get("/suggestions/adopted")
def adopted_suggestions() -> str:
    """Adopted and partly adopted suggestions, most recently answered first, each with its progress."""
    items = progress.public_items(db.session)
    # The suggestion and its reply only once staff approved them (masked): services.participation.moderation.
    approved = moderation.approved_suggestions(db.session, [item.suggestion_id for item in items])
    return render_template("public/adopted_suggestions.html", items=items, approved=approved,
                           stage_label=progress.stage_label)


@bp.app_template_global("adoption_updates")
def adoption_updates(suggestion_id: int) -> list:
    """A suggestion's progress updates, for 我的建议 (the signed-in page)."""
    return progress.history(db.session, suggestion_id)


@bp.app_template_global("progress_stage_label")
def progress_stage_label(stage) -> str:
    """研究中 / 实施中 / 已完成."""
    return progress.stage_label(stage)
