"""The container entrypoint: each role runs the right command; migrate really migrates."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def run(*args: str, dry: bool = True, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHON=sys.executable, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env)
    if dry:
        environment["ENTRYPOINT_DRY_RUN"] = "1"
    return subprocess.run(["sh", str(ENTRYPOINT), *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("web", "gunicorn -c gunicorn.conf.py wsgi:app"),
        ("scheduler", "-m flask scheduler run"),
        ("worker", "-m flask worker"),
        ("migrate", "-m flask db upgrade"),
    ],
)
def test_each_role_runs_its_command(role, expected):
    result = run(role)
    assert result.returncode == 0
    assert expected in result.stdout


def test_web_concurrency_is_configurable():
    environment = {**os.environ, "WEB_CONCURRENCY": "8", "WEB_CONNECTIONS": "500"}
    printed = subprocess.run([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "--print-config",
                              "wsgi:app"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60).stdout
    settings = {key.strip(): value.strip() for key, value in
                (line.split("=", 1) for line in printed.splitlines() if "=" in line)}
    assert settings["workers"] == "8" and settings["worker_connections"] == "500"
    assert settings["worker_class"] == "web_worker.Worker"  # gevent: slow clients hold no thread (issue 25)
    # The access log never carries the query string (WeChat's signature, nonce, the citizen's openid).
    assert "%(U)s" in settings["access_log_format"] and "%(r)s" not in settings["access_log_format"]


def test_unknown_role_is_refused_with_usage():
    result = run("shell")
    assert result.returncode == 2
    assert "用法" in result.stderr


def test_migrate_creates_the_schema(tmp_path):
    database = tmp_path / "entry.db"
    result = run("migrate", dry=False, DATABASE_URL=f"sqlite:///{database}", APP_ENV="test", REDIS_URL="unix:///nonexistent.sock")
    assert result.returncode == 0, result.stderr
    tables = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "applications", "outbox_messages", "alembic_version"} <= tables


def test_production_refuses_to_start_without_real_settings(tmp_path):
    result = run("migrate", dry=False, APP_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_behind_the_trusted_proxy_the_compose_file_publishes_gunicorn_on_loopback_only():
    """TRUSTED_PROXY_HOPS > 0: whoever reached gunicorn directly could write X-Forwarded-For themselves."""
    import re

    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    web = text.split("\n  web:\n", 1)[1].split("\n  scheduler:\n", 1)[0]
    published = [port.strip().strip("\"'") for group in re.findall(r"ports:\s*\[([^\]]*)\]", web)
                 for port in group.split(",")]
    assert 'TRUSTED_PROXY_HOPS: "1"' in text
    assert all(port.startswith("127.0.0.1:") for port in published), published
