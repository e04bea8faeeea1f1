"""Auditors see masked check-in codes (issue 25, item 4): a code is an entry pass, and auditing needs no ticket.

Unit staff and coordinators, who phone invitees and run the door, still read the code in full.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from models import Application, db
from services.calendar import clock
from services.programme import event_admin
from tests.console.test_selection_pages import _quota_form, _run_to_the_end


def test_the_invitations_table_masks_codes_for_auditors(app, login_as, console_data):
    with app.app_context():
        invitation = event_admin.add_invitation(db.session, console_data.event_a_id, "李代表", "", "人大代表", "",
                                                None, clock.now())
        invitation.checkin_code = "7KQ3MX"
        db.session.commit()
    url = f"/console/events/{console_data.event_a_id}/applications"
    assert "7KQ3MX" in login_as("unit_a").get(url).get_data(as_text=True)
    assert "7KQ3MX" in login_as("coordinator").get(url).get_data(as_text=True)
    audited = login_as("auditor").get(url).get_data(as_text=True)
    assert "李代表" not in audited and "7K****" in audited and "7KQ3MX" not in audited


def test_the_confirmed_selection_masks_codes_for_auditors(app, login_as, console_data, make_applicants):
    make_applicants(console_data.event_a_id, 12)
    staff = login_as("unit_a")
    url = f"/console/events/{console_data.event_a_id}/selection"
    staff.post(f"{url}/draw", data=_quota_form({}, seed="11"))
    run = _run_to_the_end(app, console_data.event_a_id)
    staff.post(f"{url}/confirm", data={"run_id": run.id, "early_reason": "场地临时调整"})
    with app.app_context():
        codes = [c for c in db.session.scalars(select(Application.checkin_code)) if c]
    assert len(codes) == 12
    assert all(code in staff.get(url).get_data(as_text=True) for code in codes)
    audited = login_as("auditor").get(url).get_data(as_text=True)
    assert not any(code in audited for code in codes)
    shown = re.findall(r"<code>([^<]*)</code>", audited)
    assert sorted(c[:2] + "****" for c in codes) == sorted(s for s in shown if s.endswith("****"))
