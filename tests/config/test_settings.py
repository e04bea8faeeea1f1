"""Settings: embedded defaults, readable errors, production safety."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "q7Vd0tK2mW9xLr4Zp8Ns1Hc6Jb3Ye5Gu-Fa0Ti",
    "WECHAT_APPID": "wx1234567890abcdef",
    "WECHAT_SECRET": "s" * 32,
    "WECHAT_TOKEN": "prodtoken2026",
    "WECHAT_AES_KEY": "R3kM8vQ1zX6cT9wB2nL5pH7jF0dS4gY1aE8uK3oI6rW",
    "WECHAT_ACCOUNT_ID": "gh_0123456789ab",
    "PUBLIC_BASE_URL": "https://zmhd.example.gov.cn",
    "DATABASE_URL": "postgresql://zm:pw@db/zm",
    "REDIS_URL": "redis://redis:6379/0",
    "PERSONAL_DATA_KEY": "k2Vr0V5m3nqTrAL0yZp1YzH8mIYG6xXv0wQn0cKbU0g=",
    "METRICS_TOKEN": "m" * 32,
}


def test_development_defaults_need_no_configuration(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    settings = load_settings({})
    assert settings.APP_ENV == "development"
    assert settings.simulator_on
    assert settings.template_ids["reminder"] == "tmpl_reminder"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("WECHAT_AES_KEY", "short", "WECHAT_AES_KEY: 必须是 43 个字符"),
        ("WECHAT_TOKEN", "has space", "WECHAT_TOKEN: 必须是 3–32 位"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: 必须以 sqlite: 或 postgresql: 开头"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL: 必须以 redis://"),
        ("WECHAT_API_BASE", "api.weixin.qq.com", "WECHAT_API_BASE: 必须是以 http://"),
        ("DEDUP_TTL_SECONDS", "10", "DEDUP_TTL_SECONDS"),
        ("INTERACTION_FLUSH_SECONDS", "120", "INTERACTION_FLUSH_SECONDS"),  # a minute late at most
        ("INTERACTION_FLUSH_SECONDS", "2s", "INTERACTION_FLUSH_SECONDS"),
        ("APP_ENV", "staging", "APP_ENV"),
    ],
)
def test_a_wrong_value_names_the_variable_and_what_is_expected(name, value, expected):
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    assert expected in str(caught.value)


def test_production_refuses_development_secrets():
    with pytest.raises(SettingsError) as caught:
        load_settings({"APP_ENV": "production"})
    message = str(caught.value)
    for name in ("SECRET_KEY", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in message


def test_production_with_real_values_starts_and_hides_the_simulator():
    settings = load_settings(PRODUCTION)
    assert settings.DATABASE_URL.startswith("postgresql+psycopg://")
    assert not settings.simulator_on
    assert not load_settings(PRODUCTION | {"SIMULATOR_ENABLED": "true"}).simulator_on


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
    [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "-b", "127.0.0.1:0", "wsgi:app"],
], ids=["flask", "gunicorn"])
def test_a_bad_setting_stops_with_the_explanation_alone_and_status_2(tmp_path, command):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "APP_ENV": "production",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WECHAT_AES_KEY": "tooshort"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "WECHAT_AES_KEY: 必须是 43 个字符" in result.stderr
    assert "Traceback" not in result.stderr and "File \"" not in result.stderr


def test_a_broken_holiday_file_stops_start_up(tmp_path, monkeypatch):
    from app.factory import create_app
    from services.calendar import workdays

    (tmp_path / "2027.toml").write_text('year = 2027\nsource = "国办发明电"\nworkdays = ["2027-03-03"]\n', encoding="utf-8")
    monkeypatch.setattr(workdays, "HOLIDAYS_DIR", tmp_path)
    workdays.default_calendar.cache_clear()
    try:
        with pytest.raises(workdays.ScheduleFileError) as caught:
            create_app({"APP_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
        assert "2027.toml" in str(caught.value) and "周三" in str(caught.value)
    finally:
        workdays.default_calendar.cache_clear()
