"""Access logs carry no query string (issue 17, item 1): a logged signature, nonce or openid is a key.

Both processes that log requests are run for real: gunicorn with gunicorn.conf.py as ``make run`` starts
it (scripts/devstack.py) and the container entrypoint (docker/entrypoint.sh).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from scripts.devstack import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_QUERY = {"signature": "feedfacecafe1234", "timestamp": "1795400000", "nonce": "8642097531",
                "openid": "o_secret_citizen"}


def _serve_and_log(command: list[str], port: int, env: dict[str, str]) -> str:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.post(f"http://127.0.0.1:{port}/wechat", params=SECRET_QUERY, data=b"<xml/>", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.terminate()
                    pytest.fail("gunicorn did not start: " + process.communicate(timeout=30)[0][-2000:])
                time.sleep(0.3)
        assert response.status_code == 403
        time.sleep(0.5)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    return output


def _env(tmp_path, redis_server) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return dict(os.environ, APP_ENV="test", DATABASE_URL=f"sqlite:///{tmp_path / 'log.db'}", REDIS_URL=redis_server,
                PATH=f"{venv_bin}:{os.environ['PATH']}", PYTHON=sys.executable)


def _assert_no_query(output: str) -> None:
    assert "POST /wechat HTTP/1.1\" 403" in output
    for value in SECRET_QUERY.values():
        assert value not in output


def test_make_run_gunicorn_logs_no_query_string(tmp_path, redis_server):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}",
               "--access-logfile", "-", "wsgi:app"]
    _assert_no_query(_serve_and_log(command, port, _env(tmp_path, redis_server)))


def test_the_container_entrypoint_logs_no_query_string(tmp_path, redis_server):
    port = free_port()
    env = _env(tmp_path, redis_server) | {"PORT": str(port), "WEB_CONCURRENCY": "1", "WEB_THREADS": "1"}
    output = _serve_and_log(["sh", str(ROOT / "docker" / "entrypoint.sh"), "web"],
                            port, env)
    _assert_no_query(output)
