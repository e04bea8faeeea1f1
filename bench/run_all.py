"""``make bench``: run every benchmark in ``bench/``, one after another, each as a subprocess.

A benchmark is a ``bench/*.py`` script with a ``__main__`` block; the servers
under test (``echo_bot.py``, ``bare.py``) and this file are not. Known ones run
first, in a fixed order (the webhook comparison before anything else loads the
machine), then any other script present. Each prints its own table and appends
its section to ``docs/benchmarks.md``; this runner prints a summary of what ran,
how long each took and whether it exited cleanly, and fails when one failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
ORDER = ["webhook.py", "retry_storm.py", "selection.py", "fanout.py"]
NOT_BENCHMARKS = {"run_all.py", "echo_bot.py", "bare.py"}
BUDGET_SECONDS = 600


def benchmarks() -> list[Path]:
    """The benchmark scripts present, known ones first."""
    found = {
        path.name: path for path in BENCH.glob("*.py")
        if path.name not in NOT_BENCHMARKS and not path.name.startswith("_")
        and 'if __name__ == "__main__"' in path.read_text(encoding="utf-8")
    }
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + [found[name] for name in sorted(found)]


def main() -> int:
    """Run them all; exit status 1 when any failed."""
    scripts = benchmarks()
    print(f"基准测试：{', '.join(p.name for p in scripts)}（结果追加到 docs/benchmarks.md）", flush=True)
    started = time.perf_counter()
    outcomes = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        began = time.perf_counter()
        code = subprocess.call([PY, str(script)], cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        outcomes.append((script.name, code, time.perf_counter() - began))
    total = time.perf_counter() - started
    print("\n===== 汇总 =====")
    for name, code, seconds in outcomes:
        print(f"  {name:18s} {'完成' if code == 0 else f'失败（退出码 {code}）'}  {seconds:6.1f} s")
    over = f"，超出 {BUDGET_SECONDS} s 预算" if total > BUDGET_SECONDS else ""
    print(f"  合计 {total:.1f} s{over}")
    return 1 if any(code != 0 for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
