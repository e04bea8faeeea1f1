"""Suggestion triage on a labelled set: routing accuracy and near-duplicate precision / recall (docs/triage.md).

The set (``bench/data/triage_labelled.tsv``) is written for the purpose: 222
suggestions over 117 days across the 16 units of the 2024 plan, some of them
restating an earlier one within 60 days (27), and three restating one older than that (not to be linked). It replays them in arrival order through the very
functions the service runs (``services.participation.triage_similarity``):

- **routing**: every suggestion is taken as general; the proposal compares it with
  the plan's events (unit, topic, title, description) and with every earlier
  suggestion, which by then was routed to its true unit. Accuracy is the share whose
  proposed unit is the labelled one; also shown for the texts that do not name their
  unit, and for the first 50 (a cold start).
- **duplicates**: each suggestion is compared with those of the previous 60 days; a
  link is correct when it points into the labelled group. Precision and recall at the
  service's threshold, and a sweep.

Run: ``.venv/bin/python bench/bench_triage.py`` (about 5 s: jieba's dictionary load, then pure Python).
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import seed_plan  # noqa: E402
from services.participation import triage, triage_similarity  # noqa: E402

DATA = ROOT / "bench" / "data" / "triage_labelled.tsv"
WINDOW_DAYS = triage.DUPLICATE_WINDOW.days


@dataclass(frozen=True)
class Item:
    id: int
    day: int
    unit: str
    duplicate_of: int | None
    text: str


def load() -> list[Item]:
    """The labelled set, in arrival order."""
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t")
    items = [Item(int(r["id"]), int(r["day"]), r["unit"], None if r["duplicate_of"] == "-" else int(r["duplicate_of"]),
                  r["text"]) for r in rows]
    return sorted(items, key=lambda i: (i.day, i.id))


def plan_documents() -> list[triage_similarity.Document]:
    """The plan's events as the service indexes them (unit, title, description)."""
    plan = seed_plan.load()
    docs = [triage_similarity.Document(f"e{p.number}", p.unit, p.label, tuple(triage_similarity.features(
        f"{p.unit} {p.topic} {p.label} {p.description}"))) for p in plan.open_points]
    for lecture in plan.lectures:
        docs.append(triage_similarity.Document(f"l{lecture.number}", lecture.units[0], lecture.title, tuple(
            triage_similarity.features(f"{lecture.units[0]} {lecture.title} {lecture.description}"))))
    return docs


def routing(items: list[Item]) -> dict[str, float]:
    """Replay the proposals; the share right, overall, without the unit named, and in the first 50."""
    base, seen = plan_documents(), []
    right = named_total = unnamed_right = unnamed_total = cold_right = 0
    for n, item in enumerate(items):
        index = triage_similarity.Index(base + seen)
        ranked = triage_similarity.unit_scores(index, triage_similarity.features(item.text))
        proposed = ranked[0][0] if ranked and ranked[0][1] >= triage.MIN_PROPOSAL_SCORE else None
        ok = proposed == item.unit
        right += ok
        cold_right += ok and n < 50
        if item.unit in item.text:
            named_total += 1
        else:
            unnamed_total += 1
            unnamed_right += ok
        seen.append(triage_similarity.Document(f"s{item.id}", item.unit, str(item.id),
                                               tuple(triage_similarity.features(item.text))))
    return {"all": right / len(items), "n": len(items), "unnamed": unnamed_right / max(unnamed_total, 1),
            "unnamed_n": unnamed_total, "cold": cold_right / min(50, len(items))}


def _groups(items: list[Item]) -> dict[int, int]:
    root = {}
    for item in items:
        root[item.id] = root.get(item.duplicate_of, item.duplicate_of) if item.duplicate_of else item.id
    return root


def duplicate_links(items: list[Item]) -> list[tuple[Item, Item | None, float]]:
    """Each item's most similar earlier item within the window, with the score."""
    words = {item.id: triage_similarity.words(item.text) for item in items}
    found = []
    for n, item in enumerate(items):
        best, best_score = None, 0.0
        for other in items[:n]:
            if item.day - other.day > WINDOW_DAYS:
                continue
            score = triage_similarity.duplicate_score(words[item.id], words[other.id])
            if score > best_score:
                best, best_score = other, score
        found.append((item, best, best_score))
    return found


def duplicates(items: list[Item], links, threshold: float) -> dict[str, float]:
    """Precision and recall of the links at ``threshold`` (expected: a labelled duplicate within the window)."""
    root = _groups(items)
    by_id = {i.id: i for i in items}
    expected = {i.id for i in items if i.duplicate_of and i.day - by_id[i.duplicate_of].day <= WINDOW_DAYS}
    made = [(item, other) for item, other, score in links if other is not None and score >= threshold]
    correct = [item for item, other in made if root[item.id] == root[other.id] and item.id in expected]
    return {"threshold": threshold, "links": len(made), "correct": len(correct), "expected": len(expected),
            "precision": len(correct) / max(len(made), 1), "recall": len(correct) / max(len(expected), 1)}


def main() -> None:
    """Print the routing and duplicate figures."""
    started = time.perf_counter()
    items = load()
    triage_similarity.words("预热")  # the dictionary load, outside the per-item figures
    loaded = time.perf_counter()
    route = routing(items)
    links = duplicate_links(items)
    done = time.perf_counter()
    units = len({i.unit for i in items})
    print(f"labelled set: {len(items)} suggestions, {units} units, "
          f"{sum(1 for i in items if i.duplicate_of)} restating an earlier one")
    print(f"routing accuracy: {route['all']:.1%} of {route['n']}; texts not naming their unit "
          f"{route['unnamed']:.1%} of {route['unnamed_n']}; first 50 (cold start) {route['cold']:.1%}")
    print("duplicates (threshold, links made, correct, expected, precision, recall):")
    for threshold in (0.6, 0.65, 0.7, triage.DUPLICATE_THRESHOLD, 0.75, 0.8, 0.85):
        d = duplicates(items, links, threshold)
        mark = "  <- service" if threshold == triage.DUPLICATE_THRESHOLD else ""
        print(f"  {d['threshold']:.2f}  {d['links']:3d}  {d['correct']:3d}  {d['expected']:3d}  "
              f"{d['precision']:.1%}  {d['recall']:.1%}{mark}")
    print(f"time: jieba load {loaded - started:.1f} s, replay {done - loaded:.1f} s "
          f"({(done - loaded) / len(items) * 1000:.0f} ms a suggestion, index rebuilt each time)")


if __name__ == "__main__":
    main()
