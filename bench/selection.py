"""Selection benchmark: how long a draw of 30 seats takes for 300, 1,000 and 5,000 applicants.

Every draw goes through the service's real path (:func:`services.selection.process.run`:
a child process, the time budget, the legacy fallback). Rows:

* maximin as first built: the library's own per-person maximin ("逐人");
* maximin as shipped: the same column generation over applicant types ("按类型");
* legacy, the library's greedy stratified lottery;

each with whether the panel met its quotas, then a same-seed re-run of the
largest pool with each path. Prints a Markdown table and appends it to
``docs/benchmarks.md`` (section ``## 遴选 / Selection``).

    .venv/bin/python bench/selection.py [--sizes 300,1000,5000] [--budget 45] [--no-append]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services import selection  # noqa: E402
from services.participation.applications import CATEGORIES  # noqa: E402
from services.participation.streets import ALL as STREETS  # noqa: E402
from services.selection import process as selection_process  # noqa: E402

SEATS = 30
SEED = 20261123
CATEGORY_WEIGHTS = [2, 2, 4, 3, 1, 6]  # many 其他群众 and parents, few deputies and journalists
STREET_CAP = [0, 4]  # no street or town takes more than 4 of the 30 seats
DOC = ROOT / "docs" / "benchmarks.md"
DOC_HEADER = "# 性能基准 / Benchmarks\n\n由 `make bench`（`bench/run_all.py`）生成，每节注明复现命令。\n"


def make_pool(size: int, seed: int = 1) -> list[list]:
    """``size`` applicants over the district's streets and towns (uneven, as towns are larger)."""
    rng = random.Random(seed)
    street_weights = [rng.uniform(0.5, 3.0) for _ in STREETS]
    return [[n, rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0], rng.choices(STREETS, street_weights)[0]]
            for n in range(1, size + 1)]


def quotas() -> dict:
    return {**selection.default_quotas(SEATS), "street": {"*": STREET_CAP}}


def met(pool: list, result: dict) -> bool:
    """Whether the panel has 30 people and every category and street count within the requested quotas."""
    chosen = set(result["selected"])
    rows = [row for row in pool if row[0] in chosen]
    categories = Counter(row[1] for row in rows)
    streets = Counter(row[2] for row in rows)
    table = quotas()["category"]
    return (len(rows) == SEATS and all(lo <= categories[v] <= hi for v, (lo, hi) in table.items())
            and max(streets.values()) <= STREET_CAP[1])


def draw(pool: list, algorithm: str, collapse: bool, budget: float, seed: int = SEED) -> tuple[dict, float]:
    job = {"pool": pool, "quotas": quotas(), "seats": SEATS, "seed": seed, "algorithm": algorithm,
           "collapse_types": collapse}
    started = time.perf_counter()
    result = selection_process.run(job, budget)
    return result, time.perf_counter() - started


def environment() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{cpu}，{os.cpu_count()} 核；Python {platform.python_version()}；sortition-algorithms "
            f"{version('sortition-algorithms')}，highspy {version('highspy')}（HiGHS）；load average "
            f"{os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000,5000")
    parser.add_argument("--budget", type=float, default=selection.DEFAULT_TIME_BUDGET)
    parser.add_argument("--no-append", action="store_true", help="只打印，不写入 docs/benchmarks.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, checks, started = [], [], time.perf_counter()
    paths = [("maximin", False, "逐人（库自带，优化前）"), ("maximin", True, "按类型（优化后）"), ("legacy", True, "—")]
    for size in sizes:
        pool = make_pool(size)
        for algorithm, collapse, engine in paths:
            result, seconds = draw(pool, algorithm, collapse, args.budget)
            rows.append((size, algorithm, engine, result, seconds, met(pool, result)))
            print(_row(*rows[-1]), flush=True)
    # Same seed, same panel: re-run the largest pool once per path and compare with the row above.
    largest = make_pool(max(sizes))
    for algorithm, collapse, engine in paths:
        first = next(r[3] for r in rows if r[0] == max(sizes) and r[1] == algorithm and r[2] == engine)
        again, _ = draw(largest, algorithm, collapse, args.budget)
        same = first["selected"] == again["selected"] and first["waitlist"] == again["waitlist"]
        checks.append((max(sizes), algorithm, engine, same, first["algorithm_used"]))
    section = _section(rows, checks, args, time.perf_counter() - started)
    print(section)
    if not args.no_append:
        _append(section)
    return 0


FINDINGS = """### maximin 为什么慢，改了什么

1. 库自带的 maximin 逐人建模：每位报名者一个 0-1 变量，“乘法权重”预热要解与报名人数同样多次的整数规划（300 人 300 次），每次的规模又随人数增长，总耗时近似平方增长。单独测量（同一机器，负载不同）：300 人 9–47 s，1,000 人 252 s；5,000 人在时限内无望。
2. 同一类别、同一街镇的报名者对所有配额完全等价，于是按“类型”合并（最多 6 × 23 = 138 个整数变量），在类型人数上做与库相同的列生成（主问题 LP + 定价 ILP + 最终 LP），再用种子在每个类型内等概率抽人。最优的最低入选概率不变（300 人对照：库逐人 8.889%，按类型 8.889%），且同类型的人概率相同。所有求解仍走库的 HiGHS 求解器层，抽取名单用库的 pipage 舍入，配额冲突用库的放宽模型。
3. 定价问题：一或两个特征（类别、街镇）的配额矩阵是全单模的，LP 松弛的顶点就是整数解。先用单纯形解 LP（约 1 ms），只有出现分数解才回到整数规划（HiGHS 分支定界每次 50–100 ms）。
4. 库的 `HighsSolver.set_objective` 调用 highspy 的 `maximize()`/`minimize()`，它们会立即求解，随后 `optimize()` 再解一遍：每次求解都做了两遍（1,000 人类型模型一轮 110 ms 中占 40 ms）。改用只设目标、不求解的子类。
5. 只有设置了街镇配额时才把“街镇”作为特征（特征越少，类型越少、模型越小）。
6. 计算在 `PYTHONHASHSEED=0` 的子进程中进行：库的逐人算法遍历字符串集合，顺序取决于哈希种子；固定之后同一种子得到同一名单（见上方复算）。子进程可在时限到时被终止并回退到 legacy。
7. 后端：库默认的 highspy（HiGHS）；python-mip/CBC 未安装，未作比较。逐人路径保留为 `flask selection run --per-person`，用于对照。
"""

TABLE_HEAD = ("| 报名人数 | 请求算法 | 实现 | 实际算法 | 回退 | 用时 s | 满足配额 | 最低入选概率 | 类型数 |\n"
              "|---|---|---|---|---|---|---|---|---|")


def _row(size, algorithm, engine, result, seconds, ok) -> str:
    lowest = f"{result['min_probability']:.2%}" if result.get("min_probability") else "—"
    types = result.get("types", "—") if result["algorithm_used"] == "maximin" and engine.startswith("按") else "—"
    return (f"| {size:,} | {algorithm} | {engine} | {result['algorithm_used']} | {'是' if result['fell_back'] else '否'}"
            f" | {seconds:.1f} | {'✅' if ok else '❌'} | {lowest} | {types} |")


def _section(rows, checks, args, total) -> str:
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"## 遴选 / Selection — {now}", "",
             f"复现：`.venv/bin/python bench/selection.py --sizes {args.sizes} --budget {args.budget:g}`"
             "（`make bench` 的一部分）", "",
             f"环境：{environment()}。30 席；配额：类别按默认表（人大代表 3–6、政协委员 3–6、群众代表（家长）6–12、"
             f"群众代表（企业）6–12、媒体记者 2–4、其他群众 0–10），每个街镇最多 {STREET_CAP[1]} 人；报名者分布于"
             f" {len(STREETS)} 个街镇（不均匀）；时限 {args.budget:g} s，超时改用 legacy；种子 {SEED}。"
             "每次抽签都走正式路径（子进程 + 时限 + 回退），用时含子进程启动（约 0.5–1 s）。", "",
             TABLE_HEAD, *(_row(*row) for row in rows), "",
             "同一种子复算（最大报名规模，各跑两次）：",
             *(f"- {size:,} 人，{alg}（{engine}，实际 {used}）：{'✅ 名单与候补顺序完全相同' if same else '❌ 不同'}"
               for size, alg, engine, same, used in checks), ""]
    lines += _targets(rows, args) + ["", FINDINGS, f"本节总用时 {total:.0f} s。", ""]
    return "\n".join(lines)


def _targets(rows, args) -> list[str]:
    def verdict(ok: bool) -> str:
        return "✅ 达标" if ok else "❌ 未达标"

    out = []
    shipped = [r for r in rows if r[1] == "maximin" and r[2].startswith("按")]
    small = [r for r in shipped if r[0] == 300]
    if small:
        r = small[0]
        out.append(f"- {verdict(r[4] <= 60 and r[3]['algorithm_used'] == 'maximin')}：300 人 maximin ≤ 60 s，"
                   f"实测 {r[4]:.1f} s（{r[3]['algorithm_used']}）")
    big = [r for r in rows if r[0] == 5000]
    if big:
        worst = max(r[4] for r in big)
        out.append(f"- {verdict(worst <= 60)}：5,000 人（含时限与回退）≤ 60 s，最慢一行 {worst:.1f} s")
    out.append(f"- {verdict(all(r[5] for r in rows))}：每一行都满足配额")
    return out


def _append(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else DOC_HEADER
    DOC.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
