"""Staff passwords: common and low-strength passwords refused; prompted, not taken from the command line
(issue 17, item 6). Before, length ≥ 8 was the only rule and ``12345678`` was accepted in production.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from config.settings import load_settings
from services.admin import staff
from services.calendar import clock
from tests.config.test_settings import PRODUCTION


def _accounts(app) -> int:
    from models import StaffUser, db

    with app.app_context():
        return db.session.scalar(select(func.count(StaffUser.id)))


@pytest.mark.parametrize("weak", ["12345678", "password1", "qwertyuiop", "11111111", "coord2026", "zhengmin2026",
                                  "admin123456"])
def test_common_and_low_strength_passwords_are_refused(app, weak):
    from models import db

    with app.app_context(), pytest.raises(staff.StaffError, match="太容易被猜中"):
        staff.create_user(db.session, "coord", "coordinator", weak, None, "", clock.now())
    assert _accounts(app) == 0


def test_the_rule_holds_in_production_settings_too(app, monkeypatch):
    # The check lives in the service, not behind a development switch.
    assert load_settings(PRODUCTION).APP_ENV == "production"
    with pytest.raises(staff.StaffError):
        staff.check_password("12345678", "coord")


def test_a_strong_password_is_accepted(app):
    from models import db

    with app.app_context():
        staff.create_user(db.session, "coord", "coordinator", "Lantern-river-42", None, "", clock.now())
    assert _accounts(app) == 1


def test_staff_create_refuses_a_weak_password_on_the_command_line(app, runner):
    result = runner.invoke(args=["staff", "create", "coord", "--role", "coordinator", "--password", "12345678"])
    assert result.exit_code != 0 and "太容易被猜中" in result.output
    assert _accounts(app) == 0


def test_staff_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["staff", "create", "coord", "--role", "coordinator"],
                           input="Lantern-river-42\nLantern-river-42\n")
    assert result.exit_code == 0, result.output
    assert "Lantern-river-42" not in result.output and "进程列表" not in result.output
    assert _accounts(app) == 1


def test_staff_create_warns_that_password_shows_in_the_process_list(app, runner):
    result = runner.invoke(args=["staff", "create", "coord", "--role", "coordinator", "--password", "Lantern-river-42"])
    assert result.exit_code == 0
    assert "进程列表" in result.output
    assert _accounts(app) == 1


def test_staff_passwd_refuses_a_weak_password_and_keeps_the_old_one(app, runner):
    from models import StaffUser, db

    runner.invoke(args=["staff", "create", "coord", "--role", "coordinator", "--password", "Lantern-river-42"])
    result = runner.invoke(args=["staff", "passwd", "coord"], input="12345678\n12345678\n")
    assert result.exit_code != 0
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "coord"))
        assert staff.verify_password(user, "Lantern-river-42")
