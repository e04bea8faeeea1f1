"""Real gunicorn web processes for the reliability tests, and a WeChat that posts to them over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from scripts.devstack import free_port
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN, WeChat

ROOT = Path(__file__).resolve().parents[2]


class HttpClient:
    """The part of Flask's test client that :class:`tests.conftest.WeChat` uses, over real HTTP."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()

    def post(self, path: str, query_string: dict, data: bytes, content_type: str):
        response = self.http.post(self.base_url + path, params=query_string, data=data,
                                  headers={"Content-Type": content_type}, timeout=self.timeout)
        response.get_data = lambda as_text=False: response.text if as_text else response.content
        return response


def service_env(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a development service whose files live in ``instance``."""
    return {
        **os.environ, "APP_ENV": "test", "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'service.db'}", "REDIS_URL": "",
        "WECHAT_TOKEN": TEST_TOKEN, "WECHAT_AES_KEY": TEST_AES_KEY, "WECHAT_APPID": TEST_APPID,
        "FLASK_APP": "wsgi:app", "PYTHONUNBUFFERED": "1", **extra,
    }


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` with ``workers`` workers on a free port."""

    def __init__(self, env: dict[str, str], workers: int, threads: int = 2) -> None:
        self.port = free_port()
        self.log = open(Path(env["INSTANCE_PATH"]) / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(workers), "--threads",
             str(threads), "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.wait_until_live(workers)

    def wait_until_live(self, workers: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/livez", timeout=2).ok and len(self.workers()) >= workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start:\n{self.output()}")

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children()

    def redis_servers(self) -> set[int]:
        """The redis-server processes started by this gunicorn's workers."""
        found = set()
        for process in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if process.name() == "redis-server":
                    found.add(process.pid)
            except psutil.NoSuchProcess:
                pass
        return found

    def wechat(self, timeout: float = 30) -> WeChat:
        return WeChat(HttpClient(self.base_url, timeout))

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
