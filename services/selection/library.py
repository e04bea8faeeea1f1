"""The one adapter between the selection and ``sortition-algorithms`` (with its HiGHS solver).

Everything that builds the library's objects lives here, and so do the two uses of
its private names that have no public equivalent in the pinned release:

* ``HighsSolver._h``, the ``highspy.Highs`` model inside the library's solver: its
  ``set_objective`` also solves (so every solve ran twice), and simplex must be chosen
  on the model itself;
* ``committee_generation.common._relax_infeasible_quotas``, the library's minimal quota
  relaxation, which it only calls from inside a whole committee generation.

:func:`check` verifies both still exist and raises :class:`LibraryChanged` naming what
moved; the tests call it, so an upgrade of the library fails there, loudly, and not in
the middle of a draw (``tests/services/selection/test_library_adapter.py``).
"""

from __future__ import annotations

import functools
from typing import Any

from services.selection.pool import Features

TESTED_VERSION = "0.12.15"  # the release these private uses were read against (requirements.txt)


class LibraryChanged(RuntimeError):
    """The installed sortition-algorithms no longer has what this adapter relies on."""


def check() -> None:
    """Raise :class:`LibraryChanged` if a private name this adapter uses has moved or changed."""
    from sortition_algorithms.committee_generation import common
    from sortition_algorithms.committee_generation.solver import HighsSolver

    if not callable(getattr(common, "_relax_infeasible_quotas", None)):
        raise LibraryChanged("sortition_algorithms.committee_generation.common._relax_infeasible_quotas is gone")
    solver = HighsSolver()
    if not hasattr(getattr(solver, "_h", None), "setObjective"):
        raise LibraryChanged("HighsSolver no longer keeps its highspy model in _h")


def library_features(features: Features):
    """The library's FeatureCollection for our features."""
    from requests.structures import CaseInsensitiveDict
    from sortition_algorithms.features import FeatureValueMinMax, set_default_max_flex

    collection = CaseInsensitiveDict()
    for name, values in features.items():
        collection[name] = CaseInsensitiveDict(
            {value: FeatureValueMinMax(min=lo, max=hi) for value, (lo, hi) in values.items()})
    set_default_max_flex(collection)
    return collection


def library_people(rows: list[tuple[str, dict]], collection):
    """The library's People from (key, {feature: value}) rows, in the given order."""
    from sortition_algorithms.people import People

    people = People([])
    for number, (key, data) in enumerate(rows, start=1):
        people.add(key, data, collection, number)
    return people


@functools.cache
def _single_pass_class() -> type:
    import highspy
    from sortition_algorithms.committee_generation.solver import HighsSolver, SolverSense

    class SinglePassHighs(HighsSolver):
        def set_objective(self, expr: Any, sense: SolverSense) -> None:
            self._objective_sense = sense
            maximize = sense == SolverSense.MAXIMIZE
            self._h.setObjective(expr, highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)

    return SinglePassHighs


def create_solver():
    """The library's HiGHS solver, except that setting an objective does not also solve.

    ``HighsSolver.set_objective`` calls highspy's ``maximize``/``minimize``, which
    solve the model, and ``optimize`` then solves it again: every solve ran
    twice (measured: 40 ms of a 110 ms round on 1,000 applicants).
    """
    solver = _single_pass_class()()
    # Simplex ends on a vertex: with our quota matrices (one or two features) vertices are integral.
    solver._h.setOptionValue("solver", "simplex")
    return solver


def relax_quotas(collection, people, seats: int, backend: str):
    """The library's minimal relaxation of infeasible quotas: (relaxed features, the library's notes)."""
    from sortition_algorithms.committee_generation.common import _relax_infeasible_quotas

    return _relax_infeasible_quotas(collection, people, seats, [], solver_backend=backend)
