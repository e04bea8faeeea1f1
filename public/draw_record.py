"""The public record of an event's confirmed draw (遴选公示): seed, quotas, counts, probabilities, how to re-run it.

Read-only over :func:`services.selection.public_record`; counts only, never a
name, number or id of an applicant.
"""

from __future__ import annotations

from flask import abort, render_template, url_for

from models import db
from public import bp
from services import selection
from services.programme import events
from services.selection import texts


@bp.get("/events/<int:event_id>/draw")
def draw_record(event_id: int):
    """The draw record, or a polite page while the event's selection is not confirmed."""
    try:
        event = events.get(db.session, event_id)
    except events.EventNotFound:
        abort(404)
    record = selection.public_record(db.session, event_id)
    if record is None:
        return render_template("public/message.html", title=event.title, message=texts.RECORD_NOT_YET,
                               back=url_for("public.event_page", event_id=event_id)), 404
    return render_template("public/draw_record.html", r=record, percent=texts.percent,
                           labels=texts.FEATURE_LABELS)
