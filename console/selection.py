"""The draw page (公开遴选): quotas, seed, the background draw, the result, confirmation."""

from __future__ import annotations

from flask import render_template

from console import bp
from console.access import event_or_404, readers


@bp.get("/events/<int:event_id>/selection")
@readers
def selection(event_id: int):
    """Placeholder until services.selection lands."""
    event = event_or_404(event_id)
    return render_template("console/selection.html", event=event)
