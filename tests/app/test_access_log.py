"""Access logs carry no query string (issue 17, item 1): a logged signature, nonce or openid is a key.
Nor an entry-pass code (issue 25, item 4): a logged code is a ticket.

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


def _serve_and_log(command: list[str], port: int, env: dict[str, str], visit=None) -> str:  # noqa: ANN001
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.post(f"http://127.0.0.1:{port}/wechat", params=SECRET_QUERY, data=b"<xml/>", timeout=15)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its worker still booting
                if time.monotonic() > deadline or process.poll() is not None:
                    process.terminate()
                    pytest.fail("gunicorn did not start: " + process.communicate(timeout=30)[0][-2000:])
                time.sleep(0.3)
        assert response.status_code == 403
        if visit is not None:
            visit(f"http://127.0.0.1:{port}")
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


def test_gunicorn_logs_no_entry_pass_code(tmp_path, redis_server, redis_client):
    from sqlalchemy import select

    from app import demo
    from models import Event, db
    from services.calendar import clock
    from tests.conftest import make_test_app
    from tests.public.test_pages import _selected_with_code

    env = _env(tmp_path, redis_server)
    app = make_test_app(tmp_path, redis_server, DATABASE_URL=env["DATABASE_URL"])
    with app.app_context():
        demo.load(db.session, clock.now())
        event_id = db.session.scalar(select(Event.id).where(Event.code == "OD-03"))
    _selected_with_code(app, event_id, "7KQ3MX")
    with app.app_context():
        db.engine.dispose()

    def visit(base: str) -> None:
        assert requests.get(f"{base}/pass/7KQ3MX", timeout=15).status_code == 200
        assert requests.get(f"{base}/pass/ZZ9Y8X", timeout=15).status_code == 404
        assert requests.get(f"{base}/pass/q4w5e6/extra", timeout=15).status_code == 404

    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}",
               "--access-logfile", "-", "wsgi:app"]
    output = _serve_and_log(command, port, env, visit)
    assert 'GET /pass/*** HTTP/1.1" 200' in output and 'GET /pass/*** HTTP/1.1" 404' in output
    assert 'GET /pass/***/extra HTTP/1.1" 404' in output
    for code in ("7KQ3MX", "7kq3mx", "ZZ9Y8X", "q4w5e6"):
        assert code not in output


def test_the_apps_own_log_lines_mask_entry_pass_codes(tmp_path, redis_server):
    """structlog's lines and the standard library's (werkzeug's request lines, SQLAlchemy's errors).

    The settings (an empty database, the test Redis) come from the environment, as in production.
    """
    script = (
        "import logging, structlog\n"
        "from app import create_app\n"
        "app = create_app()\n"
        "assert app.test_client().get('/pass/Q7W8E9').status_code == 500\n"  # no tables: a logged database error
        "structlog.get_logger('t').error('unhandled_error', path='/pass/7KQ3MX', url='https://x.cn/pass/8RT4NP?s=1')\n"
        "logging.getLogger('werkzeug').warning('127.0.0.1 \"GET /pass/%s HTTP/1.1\" 404 -', 'W2E3R4')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=_env(tmp_path, redis_server))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unhandled_error" in result.stderr and "/pass/***" in result.stderr
    # The error is logged by its kind; its message (which may quote bound values) is withheld (app/logs.py).
    assert "sqlalchemy.exc.OperationalError (sqlite3.OperationalError)" in result.stderr
    assert 'GET /pass/*** HTTP/1.1" 404' in result.stderr
    for code in ("7KQ3MX", "8RT4NP", "W2E3R4", "Q7W8E9"):
        assert code not in result.stderr
