"""Sealed lottery benchmark (issue 27): seal time and memory at 200,000 applicants (goal ≤ 10 s).

Each case runs in a fresh child process: make the pool (random 报名编号 over the
district's categories and streets, 30 seats, at most 4 per street), then time
the seal as the service does it — maximin over types, rounding into m panels,
the members' assignment, the public pool, the digest and the canonical record
text — and read the child's peak RSS. Cases: m = 1,000 (one 福彩3D number) and
m chosen as the service does (the smallest power of ten with m·seats ≥
applicants: 10,000 here, so that everyone sits on some panel). The record of
the second case is then checked once by ``scripts/verify_draw.py`` as its own
process (python3, standard library alone).

    .venv/bin/python bench/sealed_lottery.py [--size 200000] [--seats 30]

The database part of a seal (reading the applications, storing the record) is
not timed here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 10.0


def child(size: int, seats: int, panels: int | None, out: str | None) -> None:
    """One seal in this process; prints a JSON line of figures."""
    sys.path.insert(0, str(ROOT))
    from services.participation.applications import CATEGORIES
    from services.participation.streets import ALL as STREETS
    from services.selection import lottery, runs, sealing, type_maximin

    type_maximin.send_banner_to_stderr()
    rng = random.Random(20261208)
    weights = [rng.uniform(0.5, 3.0) for _ in STREETS]
    numbers = rng.sample(range(10_000_000, 100_000_000), size)
    categories = rng.choices(CATEGORIES, [2, 2, 4, 3, 1, 6], k=size)
    streets = rng.choices(STREETS, weights, k=size)
    pool = [[str(n), c, s] for n, c, s in zip(numbers, categories, streets, strict=True)]
    quotas = runs.default_quotas(seats) | {"street": {"*": [0, 4]}}
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = panels or sealing.panels_needed(size, seats)
    started, cpu = time.perf_counter(), time.process_time()
    sealed = lottery.seal(pool, quotas, seats, m, default_quotas=True)
    lottery_done = time.perf_counter()
    seats_doc = {"event": seats, "invited": 0, "drawn": seats}
    members = lottery.record_members(pool, sealed, seats_doc, quotas)  # as sealing.seal stores it
    digest = lottery.digest_of(members)
    record = lottery.canonical_object(members)
    finished, cpu = time.perf_counter(), time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    entries = lottery.pool_entries(pool)
    if out:
        public = {"pool": entries, "quotas": sealed.quotas, "seats": seats_doc, "panels": sealed.panels,
                  "digest": digest, "beacon": {"value": "4321"}, "selected": sealed.panels[4321 % m],
                  "attempts": [{"kind": "draw", "digest": digest, "beacon": "4321"}], "fairness": sealed.fairness}
        Path(out).write_text(lottery.canonical(public), encoding="utf-8")
    f = sealed.fairness
    print(json.dumps({
        "size": size, "panels": m, "seconds": round(finished - started, 2), "cpu_seconds": round(cpu, 2),
        "lottery_seconds": round(lottery_done - started, 2), "record_seconds": round(finished - lottery_done, 2),
        "peak_mb": round(peak), "baseline_mb": round(baseline), "record_mb": round(len(record.encode()) / 2**20, 1),
        "distinct_panels": len({tuple(p) for p in sealed.panels}), "types": len(f["types"]),
        "bound": f["bound"], "max_deviation": f["max_deviation"], "maximin_lowest": f["maximin_lowest"],
        "lottery_lowest": f["lottery_lowest"],
        "never_on_a_panel": sum(1 for n in {e["number"] for e in entries} - {x for p in sealed.panels for x in p}),
    }))


def run_case(size: int, seats: int, panels: int | None, out: str | None = None) -> dict:
    command = [sys.executable, __file__, "--child", "--size", str(size), "--seats", str(seats)]
    command += ["--panels", str(panels)] if panels else []
    command += ["--out", out] if out else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--panels", type=int, default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.size, args.seats, args.panels, args.out)
        return
    with tempfile.TemporaryDirectory() as folder:
        record = str(Path(folder) / "draw.json")
        rows = [run_case(args.size, args.seats, 1000), run_case(args.size, args.seats, None, record)]
        started = time.perf_counter()
        checked = subprocess.run(["python3", "-I", str(ROOT / "scripts" / "verify_draw.py"), record, "--summary"],
                                 capture_output=True, text=True)
        verify_seconds = time.perf_counter() - started
    print(f"## 封存抽签 / Sealed lottery — {args.size:,} 位报名者，{args.seats} 席，每个街镇至多 4 人\n")
    print(f"开始时负载 {os.getloadavg()[0]:.1f}（2 核）\n")
    print("| 名单数 m | 封存用时 (s) | CPU (s) | 其中 maximin+取整 | 记录与指纹 | 峰值内存 (MB) | 导入后基线 | 记录大小 (MB) | 不同名单 |"
          " 最优分布最低概率 | 抽签最低机会 | 最大偏差 | 1/m | 不在任何名单上的人 | ≤ 10 s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|")
    for r in rows:
        print(f"| {r['panels']:,} | {r['seconds']} | {r['cpu_seconds']} | {r['lottery_seconds']} | {r['record_seconds']} | {r['peak_mb']} |"
              f" {r['baseline_mb']} | {r['record_mb']} | {r['distinct_panels']:,} | {r['maximin_lowest']:.6f} |"
              f" {r['lottery_lowest']:.6f} | {r['max_deviation']:.6f} | {r['bound']:.6f} | {r['never_on_a_panel']:,} |"
              f" {'✅' if r['seconds'] <= GOAL_SECONDS else '❌'} |")
    print(f"\n`scripts/verify_draw.py --summary`（m = {rows[1]['panels']:,}）：退出码 {checked.returncode}，"
          f"用时 {verify_seconds:.1f} s；{checked.stdout.strip().splitlines()[-1] if checked.stdout else checked.stderr}")


if __name__ == "__main__":
    main()
