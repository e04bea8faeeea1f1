"""The citizen's entry pass: the check-in code as a QR code, with the event it admits to.

Opened from the selection notice and the reminder. A code that belongs to no
selected participant is a 404 page saying the code is not valid; a valid one
shows the event's title, time and place, and never anything about the person.

Guessing is throttled per address (:data:`GUESS_LIMITS`, applied by the shell in
app/rate_limits.py): 20 codes that open nothing in a minute, then a polite 429
page for the rest of the minute. Only wrong codes count, so the attendees of one
event arriving behind the venue's Wi-Fi (one address) all open their passes; the
count is checked before the answer and added after it, so a burst of parallel
guesses can pass the limit by at most the number of requests in flight. The code
never reaches a log line (config/redaction.py).
"""

from __future__ import annotations

import re

from flask import current_app, make_response, render_template, request
from markupsafe import Markup

from models import db
from public import bp
from services.calendar import clock
from services.participation import checkin
from services.programme import announcement

CODE = re.compile(r"[A-Z0-9]{4,12}")


def _too_many_guesses(_limit):  # noqa: ANN001, ANN202
    """Flask-Limiter's ``on_breach``: a polite page, not the bare error."""
    return make_response(render_template(
        "public/message.html", title="查询过于频繁",
        message="您查询入场凭证的次数过多，请一分钟后再试。如入场凭证无法打开，请联系活动主办单位。"), 429)


# Flask-Limiter's ``limit()`` arguments for the pass page: per client address, counting only codes that open nothing.
GUESS_LIMITS = [
    {"limit_value": "20 per minute", "key_func": lambda: f"pass-guesses:{request.remote_addr}",
     "deduct_when": lambda response: response.status_code == 404, "on_breach": _too_many_guesses},
]


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
