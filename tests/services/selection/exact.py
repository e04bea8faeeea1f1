"""An independent exact maximin over applicant types, straight on HiGHS (no library, no column generation).

With one or two features (category, street) the quota matrix is totally
unimodular (two laminar families of rows: categories with the seat total, and
streets), so the polytope of type counts {x : Σx = seats, lo ≤ Σ_{t∈v} x ≤ hi,
0 ≤ x_t ≤ min(n_t, seats)} has integral vertices: it is the convex hull of the
valid panels, and a point of it is the expected panel of some lottery. The
maximin optimum is therefore one LP: maximise z with x_t ≥ z·n_t for every type
that sits on some valid panel (the others have probability 0 in any lottery).
"""

from __future__ import annotations

import highspy

from services.selection.engine import Features, Type


def _model(types: list[Type], features: Features, seats: int) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    for t in types:
        h.addVar(0.0, float(min(t.size, seats)))
    n = len(types)
    h.addRow(float(seats), float(seats), n, list(range(n)), [1.0] * n)
    for position, values in enumerate(features.values()):
        for value, (lo, hi) in values.items():
            members = [i for i, t in enumerate(types) if t.key[position] == value]
            if members:
                h.addRow(float(lo), float(hi), len(members), members, [1.0] * len(members))
    return h


def selectable(types: list[Type], features: Features, seats: int) -> list[int]:
    """Indices of the types some valid panel includes (max x_t > 0 over the polytope)."""
    found = []
    for index in range(len(types)):
        h = _model(types, features, seats)
        h.changeColCost(index, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if h.getInfo().objective_function_value > 0.5:
            found.append(index)
    return found


def exact_maximin(types: list[Type], features: Features, seats: int) -> float:
    """The maximin lowest selection probability over the types that can be selected."""
    covered = selectable(types, features, seats)
    h = _model(types, features, seats)
    z = len(types)
    h.addVar(0.0, 1.0)
    h.changeColCost(z, 1.0)
    for i in covered:
        h.addRow(0.0, highspy.kHighsInf, 2, [i, z], [1.0, -float(types[i].size)])
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value
