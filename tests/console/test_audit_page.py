"""The audit log page: its filter and rows name every action in Chinese."""

from __future__ import annotations

import re

from console.audit import ACTION_LABELS
from models import db
from services.admin import audit
from services.calendar import clock


def test_the_action_filter_shows_chinese_labels_for_every_recorded_action(app, console_data, login_as):
    with app.app_context():
        for action in ("applications.view_personal", "suggestion.reply", "broadcast.send", "stats.export"):
            audit.record(db.session, clock.now(), action, actor=None)
        db.session.commit()
    page = login_as("auditor").get("/console/audit").get_data(as_text=True)
    options = dict(re.findall(r'<option value="([a-z_.]+)"[^>]*>([^<]*)</option>', page))
    assert options["applications.view_personal"] == "查看报名者个人信息"
    assert all(not re.fullmatch(r"[a-z_.]+", label) for label in options.values()), options
    assert "查看报名者个人信息" in page.split("</select>", 1)[1]


def test_every_action_the_services_record_has_a_label():
    """A new ``audit.record(..., "x.y")`` anywhere needs its Chinese name here."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    recorded = set()
    for folder in ("services", "console", "app", "scheduler", "handlers"):
        for path in (root / folder).rglob("*.py"):
            recorded |= set(re.findall(r'audit\.record\([^"]*?"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert recorded and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)
