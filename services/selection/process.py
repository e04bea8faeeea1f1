"""Run the selection engine in a child process, within a time budget, falling back to legacy.

The fair algorithms can take long on large pools, so each draw runs in a fresh
Python process (``python -m services.selection.process``) that the parent kills
when the budget is spent; the parent then runs the library's ``legacy``
algorithm the same way and says so in the result.

Why a fresh interpreter started with ``subprocess`` rather than a forked
worker: the library's per-person algorithms iterate over Python sets of
strings, whose order depends on the hash seed; the child is started with
``PYTHONHASHSEED=0`` so the same seed gives the same panel in every process.
A fresh process also shares no database connection or lock with the web
process and can be killed at any moment.

Protocol: the job as JSON on the child's stdin; on its stdout one JSON object
a line: ``{"progress": f, "message": m}`` …, then ``{"result": {…}}`` or
``{"error": {"kind": k, "messages": [...]}}``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from services.selection import texts
from services.selection.engine import EngineError

Progress = Callable[[float, str], None]
ROOT = Path(__file__).resolve().parents[2]
LEGACY_LIMIT = 120.0  # seconds; legacy takes well under one on 5,000 applicants


class BudgetSpent(Exception):
    """The child did not finish within its time limit and was killed."""


class ChildCrashed(Exception):
    """The child exited without a result (its stderr tail is the message)."""


def run(job: dict, time_budget: float | None = 45.0, progress: Progress | None = None) -> dict:
    """Run the job; a fair algorithm over budget (or crashing) is replaced by legacy.

    Returns the engine's result plus ``fell_back`` and ``elapsed``; raises
    :class:`EngineError` when the quotas cannot be met.
    """
    report = _safe(progress)
    started = time.monotonic()
    report(0.01, texts.STAGE_START)
    if job["algorithm"] == "legacy":
        result = _checked_child(job, LEGACY_LIMIT, report)
        return {**result, "fell_back": False, "elapsed": time.monotonic() - started}
    try:
        result = _run_child(job, time_budget, _scaled(report, 0.0, 0.95))
        return {**result, "fell_back": False, "elapsed": time.monotonic() - started}
    except BudgetSpent:
        note = texts.FELL_BACK.format(budget=time_budget)
    except ChildCrashed as crash:
        note = texts.FAILED_PRIMARY.format(error=str(crash)[-200:])
    report(0.5, texts.STAGE_FALLBACK)
    result = _checked_child({**job, "algorithm": "legacy"}, LEGACY_LIMIT, _scaled(report, 0.5, 0.95))
    return {**result, "notes": [note, *result["notes"]], "fell_back": True,
            "elapsed": time.monotonic() - started}


def _checked_child(job: dict, limit: float, report: Progress) -> dict:
    """A child run whose timeout or crash is a failed draw."""
    try:
        return _run_child(job, limit, report)
    except BudgetSpent:
        raise EngineError([texts.ENGINE_TIMEOUT.format(seconds=limit)], kind="timeout") from None
    except ChildCrashed as crash:
        raise EngineError([texts.ENGINE_CRASHED.format(error=str(crash)[-300:])], kind="crash") from None


def _safe(progress: Progress | None) -> Progress:
    """The caller's callback, never going backwards, never allowed to break the draw."""
    highest = [0.0]

    def report(fraction: float, message: str) -> None:
        highest[0] = min(max(fraction, highest[0]), 1.0)
        if progress is None:
            return
        try:
            progress(highest[0], message)
        except Exception:  # noqa: BLE001 - a progress sink (Redis, a row) must not stop a draw
            import logging

            logging.getLogger(__name__).warning("selection progress callback failed", exc_info=True)
    return report


def _scaled(report: Progress, low: float, high: float) -> Progress:
    return lambda fraction, message: report(low + (high - low) * fraction, message)


def _run_child(job: dict, limit: float | None, report: Progress) -> dict:
    """Start the child, relay its progress, return its result; kill it at ``limit`` seconds."""
    deadline = None if limit is None else time.monotonic() + limit
    env = {**os.environ, "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "services.selection.process"], cwd=ROOT, env=env, text=True,
            encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(child.stdout, lines), daemon=True).start()
        try:
            child.stdin.write(json.dumps(job, ensure_ascii=False))
            child.stdin.close()
            return _relay(lines, deadline, report, child, errors)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _relay(lines: queue.Queue, deadline: float | None, report: Progress, child, errors) -> dict:
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise BudgetSpent()
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            raise BudgetSpent() from None
        if line is None:
            child.wait()
            errors.seek(0)
            raise ChildCrashed(errors.read()[-2000:].strip() or f"exit code {child.returncode}")
        message = json.loads(line)
        if "progress" in message:
            report(message["progress"], message["message"])
        elif "result" in message:
            return message["result"]
        elif "error" in message:
            raise EngineError(message["error"]["messages"], kind=message["error"]["kind"])


def main() -> None:
    """The child: read a job on stdin, write progress and the result as JSON lines."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    # The library's log handlers and HiGHS's banner print to stdout: send fd 1 to stderr.
    os.dup2(2, 1)
    from services.selection import engine as selection_engine

    job = json.loads(sys.stdin.read())

    def emit(fraction: float, message: str) -> None:
        protocol.write(json.dumps({"progress": round(fraction, 4), "message": message}, ensure_ascii=False) + "\n")

    try:
        result = selection_engine.compute(job, emit)
    except EngineError as error:
        answer = {"error": {"kind": error.kind, "messages": error.messages}}
    else:
        answer = {"result": result}
    protocol.write(json.dumps(answer, ensure_ascii=False) + "\n")
    protocol.flush()


if __name__ == "__main__":
    main()
