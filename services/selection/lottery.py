"""The sealed lottery: the maximin distribution rounded into m equally likely panels (pure, no database).

Flanigan, Kehne and Procaccia ("Fair Sortition Made Transparent", NeurIPS 2021)
publish a *uniform* lottery: m panels, each drawn with probability 1/m, so a
single public number in 0…m−1 picks the panel and anyone can count their own
chance. Here the rounding works on applicant types (same category and street),
as the maximin of :mod:`services.selection.type_maximin` does:

1. **Maximin.** Each type's expected number of seats ``E_t`` under the
   maximin-optimal distribution.
2. **Controlled rounding.** Integers ``C_t`` (seats of type t summed over the m
   panels) with ``C_t``, every category's and every street's sum, each equal to
   ``m·E`` rounded down or up, and the total exactly ``m·seats``. The constraint
   matrix is that of a flow (category → type → street), so such a rounding
   always exists and the solver's answer is whole.
3. **Decomposition.** ``C`` is split into m panels that each meet the quotas: a
   panel x is peeled off only if what is left still splits into the remaining
   panels (the quota polytope has the integer decomposition property), and it
   is repeated as often as that stays true.
4. **Members.** Within a type, applicants take the type's seats in turn, so each
   sits on ⌊C_t/n_t⌋ or ⌈C_t/n_t⌉ panels.

The guarantee, per applicant: |chance − maximin probability| ≤ 1/m (step 2 moves
a type's total by less than one panel-seat, step 4 a member by less than one
panel). :func:`measure` computes the actual deviation, which the record shows.

Same pool, quotas and seats, same panels: every choice is ordered, and the only
randomness (the order of panels and of members) comes from the pool's own digest.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from services.selection import texts
from services.selection.engine import (
    FEATURES,
    EngineError,
    Features,
    Type,
    adjust_to_pool,
    everyone,
    group_types,
    problems,
    resolve_features,
)

PANELS = 1000  # 000–999: a 福彩3D result, or three numbered balls drawn in public
DIGESTED = ("panels", "pool", "quotas", "seats")
EPSILON = 1e-7  # floating noise of the maximin LP, well below one panel-seat in m

Emit = Callable[[float, str], None]


@dataclass(frozen=True)
class SealedLottery:
    """What a seal fixes: the quotas the panels meet, the m panels (sorted numbers), fairness and notes."""

    quotas: dict
    panels: list[list[str]]
    fairness: dict
    notes: list[str]


def canonical(data) -> str:
    """The one JSON spelling of ``data``: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_object(members: dict[str, str]) -> str:
    """A JSON object from members already spelled canonically: the same text as :func:`canonical` of the values.

    Lets the pool and the panels (megabytes at city scale) be spelled once for both the digest and the record.
    """
    return "{" + ",".join(f"{canonical(key)}:{members[key]}" for key in sorted(members)) + "}"


def digest_of(members: dict[str, str]) -> str:
    """SHA-256 (hex) over the canonical object of the digested members (pool, quotas, seats, panels)."""
    text = canonical_object({key: members[key] for key in DIGESTED})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(pool: list[dict], quotas: dict, seats: dict, panels: list[list[str]]) -> str:
    """SHA-256 (hex) of the canonical JSON of pool, quotas, seats and panels: what the verifier recomputes."""
    return digest_of({"panels": canonical(panels), "pool": canonical(pool), "quotas": canonical(quotas),
                      "seats": canonical(seats)})


def seal(pool: list, quotas: dict, seats: int, panel_count: int = PANELS, *, default_quotas: bool = False,
         emit: Emit | None = None) -> SealedLottery:
    """The uniform lottery of ``panel_count`` panels for ``pool`` ([number, category, street] rows).

    Raises :class:`EngineError` (reasons in Chinese) when no panel meets the quotas.
    """
    from sortition_algorithms.utils import set_random_provider

    from services.selection import type_maximin

    emit = emit or (lambda fraction, message: None)
    pool = sorted((tuple(row) for row in pool), key=lambda r: r[0])
    if panel_count < 1:
        raise EngineError([texts.PANEL_COUNT_INVALID], kind="config")
    features = resolve_features(quotas, pool, seats)
    features, notes = adjust_to_pool(pool, features, seats, default_quotas=default_quotas)
    rng = random.Random(_content_seed(pool, quotas, seats))
    all_in = everyone(pool, features, seats)
    if all_in is not None and seats > 0:
        types = group_types(pool, all_in)
        panel = sorted(row[0] for row in pool)
        per_type = tuple(1.0 for _ in types)
        notes = [texts.EVERYONE_SELECTED.format(count=len(pool), seats=seats), *notes]
        panels, used = [panel] * panel_count, all_in
    else:
        found = problems(pool, features, seats)
        if found:
            raise EngineError(found)
        set_random_provider(rng.randrange(1, 2**31))
        types = group_types(pool, features)
        used, relaxed = type_maximin.ensure_feasible(types, features, seats)
        notes += relaxed
        result = type_maximin.maximin(types, used, seats, emit)
        per_type = result.per_type
        emit(0.9, texts.STAGE_ROUND.format(panels=panel_count))
        expected = [p * t.size for p, t in zip(per_type, types, strict=True)]
        totals = round_totals(types, used, seats, expected, panel_count)
        compositions = decompose(types, used, seats, totals, panel_count)
        panels = assign_members(types, compositions, rng)
    quotas_used = {name: {value: list(bounds) for value, bounds in values.items()} for name, values in used.items()}
    return SealedLottery(quotas_used, panels, measure(types, used, per_type, panels), notes)


def _content_seed(pool: list, quotas: dict, seats: int) -> int:
    text = canonical({"pool": [list(row) for row in pool], "quotas": quotas, "seats": seats})
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:15], 16)


# -- rounding ----------------------------------------------------------------------------------------

def _groups(types: list[Type], features: Features) -> list[tuple[list[int], int, int]]:
    """(type indices, min, max) for every quota value that has applicants."""
    groups = []
    for position, values in enumerate(features.values()):
        for value, (lo, hi) in values.items():
            members = [i for i, t in enumerate(types) if t.key[position] == value]
            if members:
                groups.append((members, lo, hi))
    return groups


def _solve_integer(bounds: list[tuple[int, int]], groups: list[tuple[list[int], int, int]], total: int,
                   weights: list[float]) -> tuple[int, ...] | None:
    """Integers x_t within ``bounds`` whose group sums are within the groups' bounds and sum to ``total``."""
    if any(lo > hi for lo, hi in bounds) or any(lo > hi for _, lo, hi in groups):
        return None
    # The matrix is a flow's (totally unimodular): simplex ends on a whole vertex, the integer program is the fallback.
    for integer in (False, True):
        found = _solve(bounds, groups, total, weights, integer)
        if found is not None and all(abs(v - round(v)) < 1e-6 for v in found):
            return tuple(round(v) for v in found)
    return None


def _solve(bounds: list[tuple[int, int]], groups: list[tuple[list[int], int, int]], total: int,
           weights: list[float], integer: bool) -> list[float] | None:
    from sortition_algorithms.committee_generation.solver import SolverSense, SolverStatus, solver_sum

    from services.selection.library import create_solver

    solver = create_solver()
    add = solver.add_integer_var if integer else solver.add_continuous_var
    xs = [add(lb=float(lo), ub=float(hi)) for lo, hi in bounds]
    solver.add_constr(solver_sum(xs) == total)
    for members, lo, hi in groups:
        group = solver_sum([xs[i] for i in members])
        solver.add_constr(group >= lo)
        solver.add_constr(group <= hi)
    solver.set_objective(solver_sum([w * x for w, x in zip(weights, xs, strict=True)]), SolverSense.MAXIMIZE)
    if solver.optimize() != SolverStatus.OPTIMAL:
        return None
    return [solver.get_value(x) for x in xs]


def round_totals(types: list[Type], features: Features, seats: int, expected: list[float],
                 panel_count: int) -> tuple[int, ...]:
    """Seats per type over all panels: each type's, category's and street's m·E rounded down or up."""
    m = panel_count
    caps = [m * min(t.size, seats) for t in types]
    bounds = [(max(0, math.floor(m * e + EPSILON)), min(cap, math.ceil(m * e - EPSILON)))
              for e, cap in zip(expected, caps, strict=True)]
    groups = []
    for members, lo, hi in _groups(types, features):
        target = m * sum(expected[i] for i in members)
        groups.append((members, max(m * lo, math.floor(target + EPSILON)), min(m * hi, math.ceil(target - EPSILON))))
    found = _solve_integer(bounds, groups, m * seats, [0.0] * len(types))
    if found is None:
        raise EngineError([texts.ROUNDING_FAILED], kind="internal")
    return found


def decompose(types: list[Type], features: Features, seats: int, totals: tuple[int, ...],
              panel_count: int) -> list[tuple[tuple[int, ...], int]]:
    """``totals`` as (panel by counts per type, copies) pairs, copies summing to ``panel_count``."""
    caps = [min(t.size, seats) for t in types]
    groups = _groups(types, features)
    peeler = Peeler(len(types), groups, seats)
    left, remaining, parts = list(totals), panel_count, []
    while remaining > 0:
        k = remaining
        bounds = [(max(0, y - (k - 1) * cap), min(cap, y)) for y, cap in zip(left, caps, strict=True)]
        peel_groups = []
        for members, lo, hi in groups:
            y = sum(left[i] for i in members)
            peel_groups.append((members, max(lo, y - (k - 1) * hi), min(hi, y - (k - 1) * lo)))
        # Lean towards the average of what is left: the panels stay close to the lottery's mean.
        weights = [y / (k * cap) for y, cap in zip(left, caps, strict=True)]
        panel = peeler.solve(bounds, peel_groups, weights) or _solve_integer(bounds, peel_groups, seats, weights)
        if panel is None:
            raise EngineError([texts.ROUNDING_FAILED], kind="internal")
        copies = _copies(panel, left, k, caps, groups)
        parts.append((panel, copies))
        left = [y - copies * x for y, x in zip(left, panel, strict=True)]
        remaining -= copies
    return parts


class Peeler:
    """One HiGHS LP for every peeling step: only bounds and costs change between steps (no model rebuilt).

    Rows: the total (fixed to ``seats``), then one per quota group. Simplex ends
    on a vertex, whole because the matrix is a flow's; a fractional answer
    (never seen) returns None and the caller solves the integer program.
    """

    def __init__(self, count: int, groups: list[tuple[list[int], int, int]], seats: int) -> None:
        import highspy

        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("solver", "simplex")
        self.count = count
        self.highs.addVars(count, [0.0] * count, [0.0] * count)
        rows = [list(range(count)), *(members for members, _, _ in groups)]
        for members in rows:
            self.highs.addRow(float(seats) if members is rows[0] else 0.0, float(seats), len(members),
                              members, [1.0] * len(members))
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def solve(self, bounds: list[tuple[int, int]], groups: list[tuple[list[int], int, int]],
              weights: list[float]) -> tuple[int, ...] | None:
        import highspy

        if any(lo > hi for lo, hi in bounds) or any(lo > hi for _, lo, hi in groups):
            return None
        index = list(range(self.count))
        self.highs.changeColsBounds(self.count, index, [float(lo) for lo, _ in bounds], [float(hi) for _, hi in bounds])
        self.highs.changeColsCost(self.count, index, weights)
        rows = list(range(1, len(groups) + 1))
        self.highs.changeRowsBounds(len(groups), rows, [float(lo) for _, lo, _ in groups],
                                    [float(hi) for _, _, hi in groups])
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = self.highs.getSolution().col_value
        if not all(abs(v - round(v)) < 1e-6 for v in values):
            return None
        return tuple(round(v) for v in values)


def _copies(panel: tuple[int, ...], left: list[int], k: int, caps: list[int],
            groups: list[tuple[list[int], int, int]]) -> int:
    """How many copies of ``panel`` can be taken with the rest still splitting into the remaining panels."""
    limits = [k]
    for x, y, cap in zip(panel, left, caps, strict=True):
        if x > 0:
            limits.append(y // x)
        if cap - x > 0:
            limits.append((k * cap - y) // (cap - x))
    for members, lo, hi in groups:
        x, y = sum(panel[i] for i in members), sum(left[i] for i in members)
        if x - lo > 0:
            limits.append((y - k * lo) // (x - lo))
        if hi - x > 0:
            limits.append((k * hi - y) // (hi - x))
    return max(1, min(limits))


def assign_members(types: list[Type], parts: list[tuple[tuple[int, ...], int]], rng: random.Random) -> list[list[str]]:
    """The panels as sorted application numbers: each type's members take its seats in turn."""
    shapes = [panel for panel, copies in parts for _ in range(copies)]
    rng.shuffle(shapes)
    queues = []
    for t in types:
        members = list(t.members)
        rng.shuffle(members)
        queues.append(members)
    cursors = [0] * len(types)
    panels = []
    for shape in shapes:
        chosen: list[str] = []
        for i, count in enumerate(shape):
            members, start = queues[i], cursors[i]
            chosen += [members[(start + j) % len(members)] for j in range(count)]
            cursors[i] = (start + count) % len(members)
        panels.append(sorted(chosen))
    return panels


# -- fairness ------------------------------------------------------------------------------------------

def measure(types: list[Type], features: Features, per_type: tuple[float, ...], panels: list[list[str]]) -> dict:
    """Each type's maximin probability beside its members' chances in the lottery, and the worst gap."""
    m = len(panels)
    seen: dict[str, int] = {}
    for panel in panels:
        for number in panel:
            seen[number] = seen.get(number, 0) + 1
    rows, deviation = [], 0.0
    for t, optimum in zip(types, per_type, strict=True):
        chances = [seen.get(member, 0) / m for member in t.members]
        low, high = min(chances), max(chances)
        deviation = max(deviation, abs(low - optimum), abs(high - optimum))
        rows.append({"features": dict(zip(features, t.key, strict=True)), "applicants": t.size,
                     "maximin": round(optimum, 9), "lottery_min": low, "lottery_max": high})
    selectable = {i for i, p in enumerate(per_type) if p > EPSILON}
    return {
        "panel_count": m, "bound": 1 / m, "max_deviation": round(deviation, 9),
        "maximin_lowest": round(min((per_type[i] for i in selectable), default=0.0), 9),
        "lottery_lowest": min((rows[i]["lottery_min"] for i in selectable), default=0.0),
        "unselectable": sum(t.size for i, t in enumerate(types) if i not in selectable),
        "types": rows,
    }


def record_members(pool: list, sealed: SealedLottery, seats: dict, requested: dict) -> dict[str, str]:
    """The sealed record's members, each spelled canonically once (the digest and the stored text share them)."""
    return {"pool": canonical(pool_entries(pool)), "panels": canonical(sealed.panels),
            "quotas": canonical(sealed.quotas), "seats": canonical(seats), "fairness": canonical(sealed.fairness),
            "notes": canonical(sealed.notes), "quotas_requested": canonical(requested)}


def pool_entries(pool: list) -> list[dict]:
    """The public pool: {number, category, street} per applicant, by number (nothing else)."""
    keys = ("number", *FEATURES)
    return [dict(zip(keys, row, strict=True)) for row in sorted(pool, key=lambda r: r[0])]
