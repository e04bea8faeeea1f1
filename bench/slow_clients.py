"""Slow clients (issue 25 item 2, issue 30 item 3): the webhook's latency while connections hang.

The service runs on the embedded stack (SQLite, embedded Redis, the emulator; ``flask db upgrade`` and
``flask demo load`` first) under gunicorn with production's ``gunicorn.conf.py`` (``-w 2``), once per
worker class: ``gthread`` (4 threads, the setting before issue 25) and ``gevent`` (``web_worker.Worker``,
production's now). For each number of held connections, that many sockets send a request's headers one
line every 2 s (slowloris; a connection the server drops is opened again at once, as an attacker's tool
does) while a few senders post signed safe-mode pushes one after another, each waiting for its reply
(``--timeout`` at most: a push not answered by then counts as late and at that time). Printed: pushes
sent, late (> 1 s, WeChat's limit being 5 s), p50/p99/max, the liveness probe's worst time, and how long
the server let a slow connection hang.

    .venv/bin/python bench/slow_clients.py                      # 0 and 48 connections, both workers (~2 min)
    .venv/bin/python bench/slow_clients.py --held 0,48,200 --seconds 10 --no-docs   # print only
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.webhook import (  # noqa: E402
    Gunicorn,
    Service,
    Signer,
    append_docs,
    machine_line,
    markdown_table,
    message_xml,
    running,
    stamp,
)

LINE_EVERY = 2.0
LATE = 1.0
WORKERS = {"gthread": "gthread（-w 2 --threads 4，issue 25 之前）", "gevent": "gevent（web_worker.Worker，生产）"}


class Slowloris:
    """``count`` connections sending a request's headers a line every ``LINE_EVERY`` s, reopened when dropped."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.lifetimes: list[float] = []  # how long the server let each dropped connection hang
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Slowloris:
        if self.count:
            self._thread.start()
            time.sleep(1.0)  # every connection has reached a worker
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.count:
            self._thread.join(timeout=10)

    def _open(self) -> list:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"POST /wechat HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        now = time.monotonic()
        return [sock, now, now]

    def _run(self) -> None:
        conns = [self._open() for _ in range(self.count)]
        while not self._stop.is_set():
            for conn in conns:
                sock, opened, last = conn
                if _closed(sock):
                    self.lifetimes.append(time.monotonic() - opened)
                    sock.close()
                    try:
                        conn[:] = self._open()
                    except OSError:
                        return
                elif time.monotonic() - last >= LINE_EVERY:
                    try:
                        sock.sendall(b"X-Slow: 1\r\n")
                        conn[2] = time.monotonic()
                    except OSError:
                        pass
            self._stop.wait(0.2)
        for sock, _, _ in conns:
            sock.close()


def _closed(sock: socket.socket) -> bool:
    try:
        sock.recv(1024, socket.MSG_DONTWAIT)  # b"" or an answer (408): the server is done with it
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def pushes(url: str, signer: Signer, seconds: float, senders: int, timeout: float) -> list[float]:
    """Each sender posts signed pushes one after another for ``seconds``; every push's latency (s)."""
    deadline = time.monotonic() + seconds

    def sender(n: int) -> list[float]:
        times, http, count = [], requests.Session(), 0
        while time.monotonic() < deadline:
            count += 1
            xml = message_xml(f"o_slow_bench_{n}_{count % 20}", "text", int(time.time()), Content="帮助",
                              MsgId=str(time.time_ns() + n))
            target, body = signer.request(xml)
            started = time.monotonic()
            try:
                ok = http.post(url + target, data=body, headers={"Content-Type": "text/xml"}, timeout=timeout).ok
            except requests.RequestException:
                ok = False
            times.append(time.monotonic() - started if ok else max(timeout, time.monotonic() - started))
        return times

    with ThreadPoolExecutor(senders) as pool:
        return [t for times in pool.map(sender, range(senders)) for t in times]


def _probe(url: str, timeout: float) -> float:
    started = time.monotonic()
    try:
        requests.get(url + "/livez", timeout=timeout)
    except requests.RequestException:
        return timeout
    return time.monotonic() - started


def _probes(url: str, timeout: float, seconds: float, into: list[float]) -> None:
    """The liveness probe once a second for ``seconds``."""
    for _ in range(int(seconds)):
        into.append(_probe(url, timeout))
        time.sleep(1.0)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(worker: str, held: list[int], seconds: float, senders: int, timeout: float, workdir: Path) -> list[dict]:
    """The service under ``worker``: one round per number of held connections."""
    service = Service(workdir / worker).prepare(with_scheduler=False)
    rows = []
    try:
        server = Gunicorn("wsgi:app", service.env, workdir / worker / "gunicorn.log", worker_class=worker)
        with running(server):
            signer = Signer()
            pushes(server.url, signer, 2, senders, timeout)  # warm-up
            for count in held:
                load = os.getloadavg()[0]
                with Slowloris(server.port, count) as slow:
                    live: list[float] = []
                    probe = threading.Thread(target=_probes, args=(server.url, timeout, seconds, live))
                    probe.start()
                    times = pushes(server.url, signer, seconds, senders, timeout)
                    probe.join()
                    dropped = list(slow.lifetimes)
                rows.append({"worker": worker, "held": count, "sent": len(times),
                             "late": sum(t > LATE for t in times), "p50": _quantile(times, 0.5),
                             "p99": _quantile(times, 0.99), "max": max(times), "live": max(live or [0.0]),
                             "dropped": len(dropped), "hang": max(dropped) if dropped else None, "load": load})
                _print(rows[-1])
    finally:
        service.stop()
    return rows


def _print(r: dict) -> None:
    hang = f"{r['hang']:.1f} s" if r["hang"] is not None else "—"
    print(f"{r['worker']:8} held {r['held']:4}: {r['sent']:5} pushes, late {r['late']:4}, p50 {1000 * r['p50']:.0f} ms,"
          f" p99 {1000 * r['p99']:.0f} ms, max {1000 * r['max']:.0f} ms; /livez worst {1000 * r['live']:.0f} ms;"
          f" slow connections dropped {r['dropped']} (longest hang {hang})", flush=True)


def report(rows: list[dict], opts: argparse.Namespace) -> str:
    table = markdown_table(
        ["worker", "挂起的慢速连接", "推送数", "超过 1 s", "p50 ms", "p99 ms", "最大 ms", "/livez 最慢 ms", "被断开的慢速连接",
         "最长挂起", "开始时负载"],
        [[WORKERS[r["worker"]], r["held"], r["sent"], r["late"], f"{1000 * r['p50']:.0f}", f"{1000 * r['p99']:.0f}",
          f"{1000 * r['max']:.0f}", f"{1000 * r['live']:.0f}", r["dropped"],
          f"{r['hang']:.1f} s" if r["hang"] is not None else "—", f"{r['load']:.1f}"] for r in rows])
    return (f"环境：{machine_line(None)}。内嵌栈（SQLite + 内嵌 Redis + 模拟器），不运行调度进程。每轮 {opts.seconds:g} s："
            f"慢速连接每 {LINE_EVERY:g} s 发一行请求头（被断开即重连），同时 {opts.senders} 个发送者逐条发送签名的安全模式推送"
            f"（等回复后再发下一条，超时 {opts.timeout:g} s 计为超时），另一线程每秒探测一次 `/livez`。\n\n{table}\n\n"
            f"复现：`.venv/bin/python bench/slow_clients.py --held {','.join(map(str, opts.held))} --seconds {opts.seconds:g}"
            f" --senders {opts.senders}`\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held", type=lambda text: [int(n) for n in text.split(",")], default=[0, 48])
    parser.add_argument("--workers", default="gthread,gevent")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--no-docs", dest="docs", action="store_false", help="print only (no docs/benchmarks.md)")
    opts = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as tmp:
        for worker in opts.workers.split(","):
            rows += measure(worker, opts.held, opts.seconds, opts.senders, opts.timeout, Path(tmp))
    text = report(rows, opts)
    print(text)
    if opts.docs:
        append_docs(f"慢速连接：挂起的连接与 webhook 延迟（issue 25、issue 30，{stamp()}）", text)


if __name__ == "__main__":
    main()
