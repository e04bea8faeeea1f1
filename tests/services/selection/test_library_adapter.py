"""The adapter to sortition-algorithms: the private names it relies on still exist in the pinned release.

An upgrade of the library that moves them fails here, naming what moved, instead of in a draw.
"""

from __future__ import annotations

from importlib.metadata import version

import highspy

from services.selection import library
from services.selection.type_maximin import BACKEND


def test_the_private_names_the_adapter_uses_are_there():
    library.check()


def test_the_installed_release_is_the_one_the_adapter_was_read_against():
    assert version("sortition-algorithms") == library.TESTED_VERSION, (
        "sortition-algorithms was upgraded: re-read services/selection/library.py against the new release, "
        "then update TESTED_VERSION")


def test_setting_the_objective_does_not_solve_and_simplex_is_chosen():
    solver = library.create_solver()
    assert solver._h.getOptionValue("solver") == (highspy.HighsStatus.kOk, "simplex")
    x = solver.add_continuous_var(lb=0, ub=1)
    from sortition_algorithms.committee_generation.solver import SolverSense

    solver.set_objective(x, SolverSense.MAXIMIZE)
    assert solver._h.getModelStatus() == highspy.HighsModelStatus.kNotset  # not solved yet


def test_an_infeasible_quota_is_relaxed_by_the_library():
    features = {"category": {"媒体": (3, 3), "群众代表（家长）": (0, 3)}}
    collection = library.library_features(features)
    people = library.library_people([("1", {"category": "媒体"}), ("2", {"category": "群众代表（家长）"}),
                                     ("3", {"category": "群众代表（家长）"})], collection)
    relaxed, _notes = library.relax_quotas(collection, people, 3, BACKEND)
    assert relaxed["category"]["媒体"].min <= 1
