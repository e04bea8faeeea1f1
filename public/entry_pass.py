"""The citizen's entry pass: the check-in code as a QR code, with the event it admits to.

Opened from the selection notice and the reminder. A code that belongs to no
selected participant is a 404 page saying the code is not valid; a valid one
shows the event's title, time and place, and never anything about the person.
"""

from __future__ import annotations

import re

from flask import current_app, render_template
from markupsafe import Markup

from models import db
from public import bp
from services.calendar import clock
from services.participation import checkin
from services.programme import announcement

CODE = re.compile(r"[A-Z0-9]{4,12}")


@bp.get("/pass/<code>")
def entry_pass(code: str):
    """A phone page with the event, the QR code and the code in large letters."""
    code = code.upper()
    event = checkin.event_of_pass(db.session, code) if CODE.fullmatch(code) else None
    if event is None:
        return render_template("public/entry_pass_invalid.html"), 404
    svg = checkin.qr_svg(checkin.qr_payload(code)).decode()
    svg = svg[svg.index("<svg"):]  # inline: drop the XML declaration
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2).replace("<svg", '<svg width="100%"', 1)
    details = announcement.compose(event, clock.now(), current_app.extensions["settings"].PUBLIC_BASE_URL)
    return render_template("public/entry_pass.html", code=code, qr=Markup(svg), a=details)
