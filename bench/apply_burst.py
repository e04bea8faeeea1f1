"""Issue 30, part 2: a write-heavy burst — 500 citizens complete the 报名 dialogue at once.

The whole deployment runs as production runs it: PostgreSQL and a Redis server (started here),
the web processes under ``gunicorn -c gunicorn.conf.py``, one ``flask worker`` and
``flask scheduler run`` beside them. Each citizen sends the nine messages of the dialogue
(报名 → event → name → mobile → category → street → reason → 同意 → 确认) one after another, as
a phone does; ``--connections`` citizens talk at the same time. Every request is a real safe-mode
push signed just before it is sent.

Prints applications per second, p50/p99 per message and per step, the CPU each process used,
and checks that every citizen's application is stored exactly once (a duplicate or a missing
row fails the run, exit status 1). Appends its section to ``docs/benchmarks.md`` unless
``--no-docs``.

    .venv/bin/python bench/apply_burst.py [--citizens 500] [--connections 64] [--no-docs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from bench.webhook import (  # noqa: E402
    DOCS,
    PY,
    Gunicorn,
    ProductionBackends,
    Service,
    Signer,
    cpu_seconds,
    message_xml,
    running,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
STREETS = ["黄村", "兴丰街道", "林校路街道", "清源街道", "观音寺街道", "天宫院街道", "高米店街道", "荣华街道"]
STEP_NAMES = ["报名", "选活动", "姓名", "手机", "身份类别", "街道", "理由", "同意", "确认"]


def dialogue(n: int) -> list[str]:
    """The nine answers of citizen ``n`` (a valid, distinct name and mobile)."""
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] + GIVEN[n % len(GIVEN)]
    mobile = f"139{n:08d}"
    return ["报名", "1", name, mobile, str(1 + n % 4), STREETS[n % len(STREETS)], "跳过", "同意", "确认"]


class Burst:
    """Drives the citizens and keeps every message's latency."""

    def __init__(self, url: str, signer: Signer) -> None:
        self.url, self.signer = url, signer
        self.latencies: list[list[float]] = [[] for _ in STEP_NAMES]
        self.errors: list[str] = []
        self.done = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._msgid = iter(range(8_000_000_000, 9_000_000_000))

    def _session(self) -> requests.Session:
        if getattr(self._local, "session", None) is None:
            self._local.session = requests.Session()
        return self._local.session

    def citizen(self, n: int) -> None:
        """One citizen's whole dialogue; a reply that does not move it on is an error."""
        openid = f"oburst{n:06d}applicantbench"
        for step, answer in enumerate(dialogue(n)):
            with self._lock:
                msgid = next(self._msgid)
            xml = message_xml(openid, "text", int(time.time()), Content=answer, MsgId=str(msgid))
            target, body = self.signer.request(xml)
            began = time.perf_counter()
            try:
                response = self._session().post(self.url + target, data=body, timeout=10,
                                                headers={"Content-Type": "text/xml"})
            except requests.RequestException as error:
                self._fail(f"{STEP_NAMES[step]}: {type(error).__name__}")
                return
            elapsed = time.perf_counter() - began
            self.latencies[step].append(elapsed)
            reply = self.signer.decrypt_reply(response.content).get("Content", "") if response.ok else ""
            if response.status_code != 200 or (step == len(STEP_NAMES) - 1 and not reply.startswith("报名成功")):
                self._fail(f"{STEP_NAMES[step]}: http {response.status_code} {reply[:30]}")
                return
        with self._lock:
            self.done += 1

    def _fail(self, reason: str) -> None:
        with self._lock:
            self.errors.append(reason)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile in milliseconds (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def stored_applications(service: Service) -> tuple[int, int]:
    """(applications stored for the burst's citizens, citizens with more than one)."""
    out = service.python(
        "from sqlalchemy import func, select\n"
        "from models import Application, Citizen, db\n"
        "rows = db.session.execute(select(Citizen.openid, func.count(Application.id))"
        ".join(Application, Application.citizen_id == Citizen.id)"
        ".where(Citizen.openid.like('oburst%')).group_by(Citizen.openid)).all()\n"
        "print(sum(n for _, n in rows), sum(1 for _, n in rows if n > 1))\n")
    total, doubled = out.split()
    return int(total), int(doubled)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="zm-burst-"))
    service = Service(workdir, ProductionBackends()).prepare()
    worker_log = (workdir / "worker.log").open("ab")
    worker = subprocess.Popen([PY, "-m", "flask", "worker"], cwd=ROOT, env=service.env, stdout=worker_log,
                              stderr=worker_log, start_new_session=True)
    service.stack.procs.append(worker)
    try:
        server = Gunicorn("wsgi:app", service.env, workdir / "gunicorn.log")
        with running(server):
            return report(args, service, server, worker, workdir)
    finally:
        service.stop()
        worker_log.close()


def report(args: argparse.Namespace, service: Service, server: Gunicorn, worker: subprocess.Popen,
           workdir: Path) -> int:
    """Run the burst, print and record the figures; 1 when an application was lost or doubled."""
    burst = Burst(server.url, Signer())
    others = {"worker": [psutil.Process(worker.pid)], "scheduler": [psutil.Process(service.scheduler.pid)]}
    before = {"web": server.cpu_seconds(), "data": service.backend_cpu(),
              **{name: cpu_seconds(procs) for name, procs in others.items()}}
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.connections) as pool:
        list(pool.map(burst.citizen, range(args.citizens)))
    wall = time.perf_counter() - began
    cpu = {"web": server.cpu_seconds() - before["web"], "data": service.backend_cpu() - before["data"],
           **{name: cpu_seconds(procs) - before[name] for name, procs in others.items()}}
    stored, doubled = stored_applications(service)
    every = [value for step in burst.latencies for value in step]
    messages = len(every)
    lines = [
        f"## 报名突发（issue 30 第 2 项）— {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"机器：{platform.machine()}，{os.cpu_count()} 核，Python {platform.python_version()}；生产栈（PostgreSQL + "
        f"Redis 服务器），gunicorn -c gunicorn.conf.py，另有 `flask worker` 与 `flask scheduler run` 同时运行。",
        f"{args.citizens} 位市民同时走完报名对话（每人 9 条消息），{args.connections} 个并发连接。",
        "",
        "| 指标 | 数值 |",
        "|---|---|",
        f"| 完成报名的市民 | {burst.done} / {args.citizens} |",
        f"| 每秒完成报名 | {burst.done / wall:.1f} |",
        f"| 消息总数 / 每秒 | {messages} / {messages / wall:.0f} |",
        f"| 每条消息 p50 / p99 | {percentile(every, 0.5):.1f} ms / {percentile(every, 0.99):.1f} ms（目标 p99 < 300 ms） |",
        f"| 数据库中的报名（应为 {burst.done}） / 重复 | {stored} / {doubled} |",
        f"| CPU：网页进程 / 发送进程 / 调度进程 / 数据服务 | {cpu['web']:.1f} s / {cpu['worker']:.1f} s / "
        f"{cpu['scheduler']:.1f} s / {cpu['data']:.1f} s |",
        f"| 网页进程每条消息 CPU | {cpu['web'] / max(1, messages) * 1000:.2f} ms |",
        "",
        "| 步骤 | p50 | p99 |",
        "|---|---|---|",
        *(f"| {name} | {percentile(values, 0.5):.1f} ms | {percentile(values, 0.99):.1f} ms |"
          for name, values in zip(STEP_NAMES, burst.latencies, strict=True)),
    ]
    if burst.errors:
        lines += ["", f"未走完的对话 {len(burst.errors)} 个，例如：" + "；".join(sorted(set(burst.errors))[:5])]
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        with DOCS.open("a", encoding="utf-8") as docs:
            docs.write("\n\n" + text + "\n")
    p99 = percentile(every, 0.99)
    print(f"\n目标：每人恰好一条报名 {'达成' if stored == burst.done and not doubled else '未达成'}；"
          f"p99 < 300 ms {'达成' if p99 < 300 else '未达成'}（日志：{workdir}）")
    return 0 if stored == burst.done == args.citizens and not doubled else 1


if __name__ == "__main__":
    sys.exit(main())
