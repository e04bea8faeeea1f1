"""Who may open what in the console (events, applications, selection, check-in, audit)."""

from __future__ import annotations


def test_each_role_can_log_in_and_see_the_dashboard(login_as):
    for role in ("coordinator", "unit_a", "unit_b", "auditor"):
        client = login_as(role)
        assert client.get("/console/").status_code == 200
