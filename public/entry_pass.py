"""The citizen's entry pass: the check-in code as a QR code, opened from the selection notice.

The page renders whatever code is in the link and looks nothing up, so it
cannot be used to probe which codes exist; the code itself is what staff check.
"""

from __future__ import annotations

import re

from flask import abort, render_template
from markupsafe import Markup

from public import bp
from services.participation import checkin

CODE = re.compile(r"[A-Z0-9]{4,12}")


@bp.get("/pass/<code>")
def entry_pass(code: str):
    """A phone page with the QR code and the code in large letters."""
    code = code.upper()
    if not CODE.fullmatch(code):
        abort(404)
    svg = checkin.qr_svg(checkin.qr_payload(code)).decode()
    svg = svg[svg.index("<svg"):]  # inline: drop the XML declaration
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2).replace("<svg", '<svg width="100%"', 1)
    return render_template("public/entry_pass.html", code=code, qr=Markup(svg))
