"""Maximin over applicant types, on the solver layer of ``sortition-algorithms``.

The library's maximin (``committee_generation/maximin.py``) is a column
generation: a master LP finds entitlement weights, a pricing ILP finds the panel
that most violates them, until none does; a final LP gives each panel its
probability. This is the same method with one change of variables: a panel is a
vector of counts per type (applicants with the same category and street)
instead of a set of persons, and an applicant's probability is the expected
count of their type divided by its size. Every solver call goes through the
library's ``create_solver`` (HiGHS via highspy), quota relaxation through the
library's own relaxation ILP and the final lottery through its pipage rounding.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from services.selection import texts
from services.selection.library import create_solver, library_features, library_people, relax_quotas
from services.selection.pool import Emit, EngineError, Features, Type

BACKEND = "highspy"
# Column generation stops when no panel beats the master's bound by more than this share of it.
# The library's absolute 0.0005 is larger than the optimum itself at 50,000 applicants (about
# 0.0003), where it stopped 0.25–0.41 % short of the optimum, by an amount that depended on the seed.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_FLOOR = 1e-13  # below HiGHS's own accuracy: a bound of zero still stops


def _solver_api():
    from sortition_algorithms.committee_generation.solver import SolverSense, SolverStatus, solver_sum

    return SolverSense, SolverStatus, solver_sum


def send_banner_to_stderr() -> None:
    """Let HiGHS print its once-per-process banner on stderr, so that stdout stays machine-readable (``--json``).

    highspy prints "Running HiGHS …" from C on standard output when the first
    model is created; this creates that first model with descriptor 1 pointed at 2.
    """
    import ctypes
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)  # the banner may sit in C's stdout buffer
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass(frozen=True)
class Lottery:
    """What :func:`maximin` found.

    ``drawn``: counts per type of the panel drawn; ``lowest``: the lowest
    probability over the types that can be selected at all; ``per_type``: each
    type's selection probability (0 for a type on no valid panel); ``panels`` and
    ``iterations``: the size of the column generation.
    """

    drawn: tuple[int, ...]
    lowest: float
    per_type: tuple[float, ...]
    panels: int
    iterations: int


class PanelFinder:
    """The best valid panel (counts per type) for given weights.

    The quota matrix of one or two features (category, street) is totally
    unimodular, so the LP relaxation's vertex is already a whole panel and costs
    about 1 ms where HiGHS's branch and bound took 50–100 ms. The integer
    program stays as the fallback whenever a vertex is fractional.
    """

    def __init__(self, types: list[Type], features: Features, seats: int) -> None:
        self.types, self.features, self.seats = types, features, seats
        self.lp, self.lp_vars = self._model(integer=False)
        self.mip: Any = None
        self.mip_vars: list[Any] = []
        self.integer_solves = 0

    def _model(self, integer: bool) -> tuple[Any, list[Any]]:
        _sense, _status, solver_sum = _solver_api()
        solver = create_solver()
        add = solver.add_integer_var if integer else solver.add_continuous_var
        counts = [add(lb=0.0, ub=float(min(t.size, self.seats))) for t in self.types]
        solver.add_constr(solver_sum(counts) == self.seats)
        for position, values in enumerate(self.features.values()):
            for value, (lo, hi) in values.items():
                members = [var for t, var in zip(self.types, counts, strict=True) if t.key[position] == value]
                if not members:
                    continue  # problems() already refused a minimum nobody can meet
                total = solver_sum(members)
                solver.add_constr(total >= lo)
                solver.add_constr(total <= hi)
        return solver, counts

    def feasible(self) -> bool:
        """Whether any panel meets the quotas."""
        return self.best([0.0] * len(self.types)) is not None

    def best(self, weights: list[float]) -> tuple[int, ...] | None:
        """The panel maximising the weighted counts; None when no panel meets the quotas."""
        sense, status, solver_sum = _solver_api()
        self.lp.set_objective(solver_sum([w * v for w, v in zip(weights, self.lp_vars, strict=True)]), sense.MAXIMIZE)
        if self.lp.optimize() != status.OPTIMAL:
            return None
        values = [self.lp.get_value(var) for var in self.lp_vars]
        if all(abs(v - round(v)) < 1e-6 for v in values):
            return tuple(round(v) for v in values)
        if self.mip is None:
            self.mip, self.mip_vars = self._model(integer=True)
        self.integer_solves += 1
        self.mip.set_objective(solver_sum([w * v for w, v in zip(weights, self.mip_vars, strict=True)]), sense.MAXIMIZE)
        if self.mip.optimize() != status.OPTIMAL:
            return None
        return tuple(round(self.mip.get_value(var)) for var in self.mip_vars)


def ensure_feasible(types: list[Type], features: Features, seats: int) -> tuple[Features, list[str]]:
    """The features unchanged when some panel meets them, else the library's minimal relaxation and notes.

    The relaxation runs on a stand-in pool of at most ``seats`` applicants per
    type, which admits exactly the same panels (by counts) as the full pool.
    """
    from sortition_algorithms import errors

    if PanelFinder(types, features, seats).feasible():
        return features, []
    stand_in = [(str(member), dict(zip(features, t.key, strict=True)))
                for t in types for member in t.members[:seats]]
    collection = library_features(features)
    try:
        relaxed, _lines = relax_quotas(collection, library_people(stand_in, collection), seats, BACKEND)
    except (errors.SelectionError, errors.InfeasibleQuotasCantRelaxError) as error:
        raise EngineError([texts.INFEASIBLE_AFTER_RELAX]) from error
    new = copy.deepcopy(features)
    notes = [texts.RELAXED]
    for name, values in features.items():
        for value, (lo, hi) in values.items():
            new_lo, new_hi = relaxed[name][value].min, relaxed[name][value].max
            if new_lo != lo:
                notes.append(texts.RELAXED_MIN.format(value=value, old=lo, new=new_lo))
            if new_hi != hi:
                notes.append(texts.RELAXED_MAX.format(value=value, old=hi, new=new_hi))
            new[name][value] = (new_lo, new_hi)
    return new, notes


def _covering_panels(finder: PanelFinder, emit: Emit) -> tuple[list[tuple[int, ...]], list[int]]:
    """A first set of panels in which every type that can sit on a panel does (in type order)."""
    from sortition_algorithms.utils import random_provider

    types = finder.types
    panels: list[tuple[int, ...]] = []
    covered: set[int] = set()
    for index in range(len(types)):
        if index in covered:
            continue
        # Small seeded weights on the others vary the panels found, as the library's warm-up does.
        weights = [random_provider().uniform(0.0, 0.001) / t.size for t in types]
        weights[index] = 1.0
        panel = finder.best(weights)
        if panel is not None and panel not in panels:
            panels.append(panel)
            covered |= {i for i, n in enumerate(panel) if n > 0}
        emit(0.1 + 0.2 * (index + 1) / len(types), texts.STAGE_COVER.format(done=index + 1, total=len(types)))
    return panels, sorted(covered)


def maximin(types: list[Type], features: Features, seats: int, emit: Emit) -> Lottery:
    """The maximin lottery over panels (counts per type) and the panel drawn from it.

    Dual LP (as in the library): minimise z subject to Σ_t y_t·c_t(B)/n_t ≤ z for
    every panel B found so far and Σ_t y_t = 1; the pricing step looks for a panel
    that breaks the bound by more than a relative tolerance, until none does.
    Types that sit on no valid panel are left out of the LPs and get probability 0.
    """
    sense, _status, solver_sum = _solver_api()
    finder = PanelFinder(types, features, seats)
    panels, covered = _covering_panels(finder, emit)
    master = create_solver()
    upper = master.add_continuous_var(lb=0.0, ub=float("inf"))
    weights = {i: master.add_continuous_var(lb=0.0, ub=1.0) for i in covered}
    master.add_constr(solver_sum(weights.values()) == 1)
    master.set_objective(upper, sense.MINIMIZE)

    def bound(panel: tuple[int, ...]) -> None:
        master.add_constr(solver_sum([panel[i] / types[i].size * weights[i] for i in covered if panel[i]]) <= upper)

    for panel in panels:
        bound(panel)
    iteration = 0
    while True:
        iteration += 1
        master.optimize()
        entitled = [0.0] * len(types)
        for i in covered:
            entitled[i] = master.get_value(weights[i]) / types[i].size
        ceiling = master.get_value(upper)
        panel = finder.best(entitled)
        emit(0.3 + 0.6 * iteration / (iteration + 20),
             texts.STAGE_OPTIMISE.format(iteration=iteration, committees=len(panels)))
        if panel is None or panel in panels or converged(entitled, panel, ceiling):
            break
        panels.append(panel)
        bound(panel)
    probabilities, lowest = _primal(panels, covered, types)
    per_type = [sum(p * panel[i] for p, panel in zip(probabilities, panels, strict=True)) / t.size
                for i, t in enumerate(types)]
    return Lottery(_lottery(panels, probabilities), lowest, tuple(per_type), len(panels), iteration)


def converged(entitled: list[float], panel: tuple[int, ...], ceiling: float) -> bool:
    """Whether the best panel for these weights stays within the tolerance of the master's bound."""
    value = sum(w * n for w, n in zip(entitled, panel, strict=True))
    return value <= ceiling + max(RELATIVE_TOLERANCE * abs(ceiling), ABSOLUTE_FLOOR)


def _primal(panels: list[tuple[int, ...]], covered: list[int], types: list[Type]) -> tuple[list[float], float]:
    """Probabilities of the panels that maximise the lowest selection probability."""
    sense, _status, solver_sum = _solver_api()
    solver = create_solver()
    shares = [solver.add_continuous_var(lb=0.0, ub=1.0) for _ in panels]
    solver.add_constr(solver_sum(shares) == 1)
    lowest = solver.add_continuous_var(lb=0.0, ub=1.0)
    for i in covered:
        terms = [panel[i] / types[i].size * share for panel, share in zip(panels, shares, strict=True) if panel[i]]
        solver.add_constr(solver_sum(terms) >= lowest)
    solver.set_objective(lowest, sense.MAXIMIZE)
    solver.optimize()
    values = [max(solver.get_value(share), 0.0) for share in shares]
    total = sum(values)
    return [v / total for v in values], solver.get_value(lowest)


def _lottery(panels: list[tuple[int, ...]], probabilities: list[float]) -> tuple[int, ...]:
    """One panel from the distribution, by the library's pipage rounding on the seeded stream."""
    from sortition_algorithms.core import lottery_rounding
    from sortition_algorithms.utils import random_provider

    drawn = lottery_rounding(panels, probabilities, 1)
    if len(drawn) == 1:
        return drawn[0]
    # Rounding noise left no panel or two; draw directly from the same seeded stream.
    point, running = random_provider().uniform(0.0, 1.0), 0.0
    for panel, probability in zip(panels, probabilities, strict=True):
        running += probability
        if point < running:
            return panel
    return panels[-1]
