"""The public record of an event's draw (遴选公示): the sealed lottery anyone can check, or a seeded draw's record.

Read-only over :mod:`services.selection`. A sealed event shows its lottery
(pool by 报名编号 with category and street only, quotas, every panel, the digest,
the public number that decides, the attempts) and serves it as canonical JSON
at ``draw.json`` for ``scripts/verify_draw.py``; an event drawn with a seed
shows counts only, as before. Never a name, mobile or openid.
"""

from __future__ import annotations

from collections import Counter

from flask import Response, abort, render_template, request, url_for

from models import db
from public import bp
from services import selection
from services.programme import events
from services.selection import texts


def _event_or_404(event_id: int):
    try:
        return events.get(db.session, event_id)
    except events.EventNotFound:
        abort(404)


@bp.get("/events/<int:event_id>/draw")
def draw_record(event_id: int):
    """The sealed lottery, else the seeded draw's record, else a polite page while there is neither."""
    event = _event_or_404(event_id)
    lottery = selection.lottery_record(db.session, event_id)
    if lottery is not None:
        number = request.args.get("number", "").strip()[:12]
        return render_template("public/draw_lottery.html", r=lottery, summary=_summary(lottery), number=number,
                               percent=texts.percent, labels=texts.FEATURE_LABELS)
    record = selection.public_record(db.session, event_id)
    if record is None:
        return render_template("public/message.html", title=event.title, message=texts.RECORD_NOT_YET,
                               back=url_for("public.event_page", event_id=event_id)), 404
    return render_template("public/draw_record.html", r=record, percent=texts.percent,
                           labels=texts.FEATURE_LABELS)


@bp.get("/events/<int:event_id>/draw.json")
def draw_json(event_id: int):
    """The sealed lottery as canonical JSON (sorted keys, no spaces, UTF-8), for anyone to download and check."""
    _event_or_404(event_id)
    text = selection.lottery_record_text(db.session, event_id)
    if text is None:
        body = selection.lottery.canonical({"error": texts.LOTTERY_NOT_YET})
        return Response(body, status=404, mimetype="application/json")
    response = Response(text, mimetype="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="draw-{event_id}.json"'
    return response


def _summary(record: dict) -> dict:
    """Counts for the page: applicants and panel size per category and street, and each number's chance."""
    appearances = Counter(number for panel in record["panels"] for number in panel)
    m = len(record["panels"])
    chosen = set(record["selected"] or [])
    rows = {}
    for feature in ("category", "street"):
        applied = Counter(entry[feature] for entry in record["pool"])
        picked = Counter(entry[feature] for entry in record["pool"] if entry["number"] in chosen)
        rows[feature] = [(value, count, picked[value], record["quotas"].get(feature, {}).get(value))
                         for value, count in sorted(applied.items(), key=lambda item: (-item[1], item[0]))]
    chances = {entry["number"]: appearances[entry["number"]] / m for entry in record["pool"]}
    return {"rows": rows, "chances": chances, "panel_count": m,
            "index": int(record["beacon"]["value"]) % m if record["beacon"].get("value") is not None else None}
