"""Issue 8, part 2: the retry storm.

1,000 distinct citizens apply to one event; the final message of the apply
dialogue (``确认``) reaches the service three times, the copies concurrent, as
WeChat does when it retries (each copy freshly encrypted with its own
timestamp and nonce, same MsgId). The 1,000 confirmations are spread over 10 s.

Before the storm every citizen walks through the dialogue once (``报名`` → pick
the first event open for applications → name → mobile → category → street →
reason → consent), so that ``确认`` is the one step that writes.

Targets: exactly 1,000 applications for the event, zero 5xx, every reply < 1 s.
Also reported: whether the three copies got the same reply.

    .venv/bin/python bench/retry_storm.py [--citizens 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.webhook import (  # noqa: E402
    Gunicorn,
    Service,
    Signer,
    _verdict,
    app_errors,
    append_docs,
    machine_line,
    markdown_table,
    message_xml,
    running,
    stamp,
)

# The apply dialogue up to the confirmation (see handlers/registration.py).
DIALOGUE = ["报名", "1", "张{n}", "{mobile}", "6", "1", "跳过", "同意"]
CONFIRM = "确认"
_local = threading.local()


@dataclass
class Sent:
    """One copy of one message and what came back."""

    citizen: int
    copy: int
    status: int
    seconds: float
    reply: str


class Citizen:
    """One citizen's messages: distinct openid, increasing MsgId and CreateTime."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.openid = f"ostorm{number:07d}citizen"
        self.msgid = 7 * 10**12 + number * 100
        self.created = 1_750_000_000 + number * 100

    def message(self, text: str) -> str:
        """The next text message (its own MsgId)."""
        self.msgid += 1
        self.created += 1
        return message_xml(self.openid, "text", self.created, Content=text, MsgId=str(self.msgid))


def post(url: str, xml: str, timestamp: int) -> tuple[int, float, str]:
    """Encrypt and post one push (a fresh timestamp and nonce); status, seconds, reply text."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        _local.signer = Signer()
    signer = _local.signer
    target, body = signer.request(xml, timestamp)
    started = time.perf_counter()
    try:
        response = session.post(url + target, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
    except requests.RequestException as exc:
        return 0, time.perf_counter() - started, f"({type(exc).__name__})"
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return response.status_code, seconds, ""
    reply = signer.decrypt_reply(response.content)
    return 200, seconds, reply.get("Content", "success" if not reply else reply.get("MsgType", "?"))


def next_timestamp() -> int:
    """The URL timestamp of a push: now (the service refuses one outside its window; the nonce is unique)."""
    return int(time.time())


def prepare_citizen(url: str, citizen: Citizen) -> str:
    """Walk one citizen through the dialogue up to the summary; the last reply."""
    reply = ""
    for step in DIALOGUE:
        text = step.format(n=_chinese_number(citizen.number), mobile=f"139{citizen.number:08d}")
        status, _seconds, reply = post(url, citizen.message(text), next_timestamp())
        if status != 200:
            return f"HTTP {status} at {step}"
    return reply


def _chinese_number(number: int) -> str:
    """A name-like suffix from the number (names must be letters, not digits)."""
    digits = "零一二三四五六七八九"
    return "".join(digits[int(d)] for d in str(number))


def storm(url: str, citizens: list[Citizen], seconds: float, copies: int) -> tuple[list[Sent], float]:
    """Send each citizen's ``确认`` ``copies`` times at once, the citizens spread over ``seconds``.

    Every copy is encrypted beforehand and the replies are decrypted afterwards, so that the
    load generator spends as little of the machine's two cores as possible during the storm.
    """
    signer = Signer()
    planned = []
    for citizen in citizens:
        xml = citizen.message(CONFIRM)
        planned.append((citizen, [signer.request(xml, next_timestamp()) for _ in range(copies)]))
    raw: list[tuple[int, int, int, float, bytes]] = []
    lock = threading.Lock()
    host, port = url.removeprefix("http://").split(":")

    def send(number: int, copy: int, target: str, body: bytes) -> None:
        began = time.perf_counter()
        status, content = 0, b""
        for _attempt in range(2):  # a kept-alive connection the server has closed meanwhile: reconnect once
            connection = getattr(_local, "http", None)
            reused = connection is not None
            if connection is None:
                connection = _local.http = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("POST", target, body, {"Content-Type": "text/xml"})
                response = connection.getresponse()
                status, content = response.status, response.read()
                break
            except (OSError, http.client.HTTPException):
                connection.close()
                _local.http = None
                if not reused:
                    break
        with lock:
            raw.append((number, copy, status, time.perf_counter() - began, content))

    gap = seconds / max(1, len(citizens))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(192, copies * 64)) as pool:
        for i, (citizen, requests_) in enumerate(planned):
            delay = started + i * gap - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            for copy, (target, body) in enumerate(requests_):
                pool.submit(send, citizen.number, copy, target, body)
    took = time.perf_counter() - started
    results = []
    for number, copy, status, seconds_, content in raw:
        reply = signer.decrypt_reply(content) if status == 200 else {}
        text = reply.get("Content", "success" if not reply else reply.get("MsgType", "?")) if status == 200 else ""
        results.append(Sent(number, copy, status, seconds_, text))
    return results, took


def count_applications(database: Path) -> dict[int, int]:
    """Application rows per event id, read straight from the SQLite file."""
    with sqlite3.connect(database) as conn:
        return dict(conn.execute("SELECT event_id, count(*) FROM applications GROUP BY event_id").fetchall())


def run(citizens_count: int, seconds: float, copies: int, keep: bool) -> dict:
    """Prepare the service, walk the citizens through, storm, report."""
    workdir = Path(tempfile.mkdtemp(prefix="zm-storm-"))
    service = Service(workdir)
    try:
        service.prepare()
        server = Gunicorn("wsgi:app", service.env, workdir / "service.log")
        with running(server):
            citizens = [Citizen(n) for n in range(1, citizens_count + 1)]
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=16) as pool:
                last_replies = list(pool.map(lambda c: prepare_citizen(server.url, c), citizens))
            prepared = time.perf_counter() - began
            ready = Counter(reply.split("\n")[0] for reply in last_replies)
            print(f"对话准备完成（{prepared:.1f} s）：最后一步的回复 {dict(ready.most_common(3))}", flush=True)
            before = count_applications(service.database_file)
            load = os.getloadavg()[0]
            results, took = storm(server.url, citizens, seconds, copies)
            errors = app_errors(server.log_file)
        after = count_applications(service.database_file)
        numbers = summarise(results, took, before, after, citizens_count, copies)
        numbers["errors_in_log"] = dict(errors)
        numbers["prepared_seconds"] = prepared
        numbers["ready"] = ready
        numbers["load"] = load
        report(numbers, citizens_count, seconds, copies)
        return numbers
    finally:
        service.stop()
        if keep:
            print(f"工作目录保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def summarise(results: list[Sent], took: float, before: dict, after: dict, citizens: int, copies: int) -> dict:
    """Counts, latencies and reply agreement."""
    latencies = sorted(r.seconds for r in results)
    new = {event: after.get(event, 0) - before.get(event, 0) for event in after}
    event_id, applied = max(new.items(), key=lambda kv: kv[1]) if new else (None, 0)
    by_citizen: dict[int, list[Sent]] = {}
    for r in results:
        by_citizen.setdefault(r.citizen, []).append(r)
    same = sum(1 for sent in by_citizen.values() if len({s.reply for s in sent}) == 1 and len(sent) == copies)
    first_lines = Counter(r.reply.split("\n")[0][:24] for r in results)
    return {
        "requests": len(results), "seconds": took, "event_id": event_id, "applications": applied,
        "other_events": {e: n for e, n in new.items() if e != event_id and n},
        "5xx": sum(1 for r in results if r.status >= 500), "non_200": sum(1 for r in results if r.status != 200),
        "over_1s": sum(1 for r in results if r.seconds >= 1.0),
        "p50": statistics.median(latencies) if latencies else 0,
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0,
        "max": latencies[-1] if latencies else 0, "same_reply": same, "replies": first_lines,
    }


def report(n: dict, citizens: int, seconds: float, copies: int) -> None:
    """Print the table and append it to docs/benchmarks.md."""
    table = markdown_table(
        ["市民", "每条副本", "请求", "用时 s", "新增报名", "5xx", "非 200", "≥ 1 s", "p50 ms", "p99 ms", "最大 ms",
         "三份副本回复一致的市民"],
        [[citizens, copies, n["requests"], f"{n['seconds']:.1f}", n["applications"], n["5xx"], n["non_200"],
          n["over_1s"], f"{n['p50'] * 1000:.0f}", f"{n['p99'] * 1000:.0f}", f"{n['max'] * 1000:.0f}",
          n["same_reply"]]],
    )
    verdicts = [
        _verdict(f"恰好 {citizens} 条报名", n["applications"] == citizens and not n["other_events"],
                 f"{n['applications']}（活动 {n['event_id']}）" + (f"，其他活动 {n['other_events']}" if n["other_events"] else "")),
        _verdict("零 5xx", n["5xx"] == 0, str(n["5xx"])),
        _verdict("每个回复 < 1 s", n["over_1s"] == 0, f"{n['over_1s']} 个 ≥ 1 s，最大 {n['max'] * 1000:.0f} ms"),
    ]
    replies = "；".join(f"“{text}” × {count}" for text, count in n["replies"].most_common(4))
    body = (
        f"复现：`.venv/bin/python bench/retry_storm.py --citizens {citizens} --seconds {seconds:g}`（`make bench` 的一部分）\n\n"
        f"环境：{machine_line()}。{citizens} 位市民先各自走完报名对话（每步一条，{n['prepared_seconds']:.0f} s），"
        f"然后每人的“确认”在 {seconds:g} s 内发出，每条 {copies} 份副本同时到达（各自重新加密，MsgId 相同；"
        f"副本预先加密，压测端只发送）。风暴开始时 1 分钟平均负载 {n['load']:.1f}。\n\n"
        f"{table}\n\n" + "\n".join(verdicts) + f"\n\n回复（前 24 字）：{replies}。"
        + (f"\n\n服务日志中的错误：{n['errors_in_log']}。" if n["errors_in_log"] else "") + "\n"
    )
    print("\n" + table + "\n\n" + "\n".join(verdicts) + f"\n回复：{replies}")
    append_docs(f"重试风暴 — {stamp()}", body)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    args = parser.parse_args(argv)
    run(args.citizens, args.seconds, args.copies, args.keep)


if __name__ == "__main__":
    main()
