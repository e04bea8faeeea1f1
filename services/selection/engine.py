"""The selection engine: a pool, quotas and a seed in; a panel and a waiting list out.

Pure computation on plain data (no database, no Flask), built on the Sortition
Foundation's ``sortition-algorithms`` (its HiGHS solver layer, lottery rounding,
quota relaxation and its algorithms). :mod:`services.selection.process` runs it
in a child process that can be killed when the time budget is spent.

Why applicants are collapsed into *types*: two applicants with the same
category and street are interchangeable for every quota, so a maximin-optimal
lottery may as well treat them alike. The library's maximin works person by
person (one binary variable each, and as many warm-up solves as there are
applicants, which is quadratic: 1,000 applicants took four minutes). Here the
same column generation runs over type counts (≤ 6 × 23 integer variables)
and the members of each type are then drawn uniformly with the seed, which
gives every applicant of a type the same probability and the same maximin
optimum. ``collapse_types=False`` runs the library's own per-person maximin.

A job is a dict: ``pool`` ([application id, category, street], sorted by id),
``quotas`` ({"category": {value: [min, max]}, "street": {…, "*": [min, max]}}),
``seats``, ``seed`` (non-zero int), ``algorithm`` (maximin / nash / legacy),
``collapse_types`` (bool). Same job, same result: every choice is ordered and
every random draw comes from the seed.
"""

from __future__ import annotations

import random
from collections import Counter

from services.selection import texts
from services.selection.library import library_features, library_people
from services.selection.pool import Emit, EngineError, Features, Type

ALGORITHMS = ("maximin", "nash", "legacy")
FEATURES = ("category", "street")
DEFAULT_STREET = "*"
LEGACY_ATTEMPTS = 100

# -- quotas → features ----------------------------------------------------------------------

def resolve_features(quotas: dict, pool: list, seats: int) -> Features:
    """Per feature, every value present in the pool or given a minimum, with its (min, max).

    Streets are a feature only when the quotas name them (fewer features, smaller
    problem). A value missing from the quotas may take anyone: (0, seats).
    """
    features: Features = {}
    for index, name in enumerate(FEATURES):
        given = quotas.get(name)
        if given is None:
            continue
        default = tuple(given.get(DEFAULT_STREET, (0, seats)))
        present = sorted({row[index + 1] for row in pool})
        named = [value for value in given if value != DEFAULT_STREET]
        values = present + [value for value in named if value not in present]
        features[name] = {value: tuple(given.get(value, default)) for value in values}
    return features


def adjust_to_pool(pool: list, features: Features, seats: int, *,
                   default_quotas: bool = False) -> tuple[Features, list[str]]:
    """The quotas as they can apply to this pool, and a note per change (Chinese).

    - A minimum above the number who applied drops to that number: a category
      (or street) with too few applicants is drawn in full rather than making
      the event undrawable.
    - With the default quota table (not one staff typed), maxima too low to fill
      the seats are raised to the applicant counts: the defaults are a guide to
      the programme's mix, never a reason to leave seats empty.
    """
    notes: list[str] = []
    adjusted: Features = {}
    for name, values in features.items():
        column = FEATURES.index(name) + 1
        counts = Counter(row[column] for row in pool)
        table = dict(values)
        for value, (lo, hi) in values.items():
            if counts[value] < lo <= hi:
                table[value] = (counts[value], hi)
                notes.append(texts.MIN_LOWERED.format(value=value, old=lo, count=counts[value]))
        reachable = sum(min(hi, counts[value]) for value, (_, hi) in table.items())
        # Only the category table has defaults; street quotas are always typed by staff and kept.
        if default_quotas and name == "category" and reachable < seats <= len(pool):
            for value, (lo, hi) in sorted(table.items()):
                if hi < counts[value]:
                    table[value] = (lo, counts[value])
                    notes.append(texts.MAX_RAISED.format(value=value, old=hi, new=counts[value]))
        adjusted[name] = table
    return adjusted, notes


def everyone(pool: list, features: Features, seats: int) -> Features | None:
    """When no more applied than there are seats: the quotas every-one-selected meets, else None."""
    if not pool or len(pool) > seats:
        return None
    if any(lo > hi for values in features.values() for lo, hi in values.values()):
        return None  # a typing mistake in the table is still pointed out
    used: Features = {}
    for name, values in features.items():
        column = FEATURES.index(name) + 1
        counts = Counter(row[column] for row in pool)
        used[name] = {value: (min(lo, counts[value]), max(hi, counts[value])) for value, (lo, hi) in values.items()}
    return used


def problems(pool: list, features: Features, seats: int) -> list[str]:
    """Why no panel can meet the quotas, in Chinese (empty when none is found this way).

    Per feature these checks are exact; a clash between features (say, a street
    whose few applicants are all of a full category) is left to the solver.
    """
    found: list[str] = []
    if seats <= 0:
        return [texts.NO_SEATS_PLAIN]
    if not pool:
        found.append(texts.TOO_FEW_APPLICANTS.format(seats=seats, count=len(pool)))
    for name, values in features.items():
        column = FEATURES.index(name) + 1
        counts = Counter(row[column] for row in pool)
        label = texts.FEATURE_LABELS[name]
        for value, (lo, hi) in values.items():
            if lo > hi:
                found.append(texts.MIN_ABOVE_MAX.format(value=value, lo=lo, hi=hi))
            elif counts[value] < lo:
                found.append(texts.MIN_NOT_MET.format(value=value, lo=lo, count=counts[value]))
        total_min = sum(lo for lo, _ in values.values())
        if total_min > seats:
            found.append(texts.MINS_TOO_HIGH.format(feature=label, total=total_min, seats=seats))
        total_max = sum(min(hi, counts[value]) for value, (_, hi) in values.items())
        if total_max < seats <= len(pool):
            found.append(texts.MAXES_TOO_LOW.format(feature=label, total=total_max, seats=seats))
    return found


def group_types(pool: list, features: Features) -> list[Type]:
    """Applicants grouped by their values of the features in play, in a fixed order."""
    columns = [FEATURES.index(name) + 1 for name in features]
    groups: dict[tuple[str, ...], list[int]] = {}
    for row in sorted(pool, key=lambda r: r[0]):
        groups.setdefault(tuple(row[c] for c in columns), []).append(row[0])
    return [Type(key, tuple(groups[key])) for key in sorted(groups)]


def _person_data(types: list[Type], features: Features) -> list[tuple[int, dict]]:
    return [(member, dict(zip(features, t.key, strict=True))) for t in types for member in t.members]


class LibraryProgress:
    """The library's ProgressReporter protocol, relayed as (fraction, Chinese stage)."""

    def __init__(self, emit: Emit) -> None:
        self.emit, self.phase, self.total = emit, "", None

    def start_phase(self, name: str, total: int | None = None, *, message: str | None = None) -> None:
        self.phase, self.total = name, total

    def update(self, current: int, *, message: str | None = None) -> None:
        if self.phase == "multiplicative_weights" and self.total:
            self.emit(0.15 + 0.45 * current / self.total, texts.STAGE_MW.format(done=current, total=self.total))
        elif self.phase == "maximin_optimization":
            self.emit(0.6 + 0.3 * current / (current + 10), texts.STAGE_OPTIMISE.format(iteration=current, committees="…"))
        elif self.phase == "legacy_attempt":
            self.emit(0.5, texts.STAGE_LEGACY.format(attempt=current))

    def end_phase(self) -> None:
        pass


def software() -> dict[str, str]:
    """The versions a draw ran with (published with it: a re-run should use the same)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("sortition-algorithms", "highspy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


# -- the draw ------------------------------------------------------------------------------------

def compute(job: dict, emit: Emit) -> dict:
    """Run one draw; raises :class:`EngineError` when the quotas cannot be met."""
    from sortition_algorithms.utils import set_random_provider

    from services.selection import type_maximin as selection_types

    algorithm, seed, seats = job["algorithm"], int(job["seed"]), int(job["seats"])
    if algorithm not in ALGORITHMS:
        raise EngineError([texts.UNKNOWN_ALGORITHM.format(algorithm=algorithm)], kind="config")
    pool = [tuple(row) for row in job["pool"]]
    emit(0.05, texts.STAGE_PREPARE)
    features = resolve_features(job["quotas"], pool, seats)
    features, adjusted = adjust_to_pool(pool, features, seats, default_quotas=job.get("default_quotas", False))
    all_in = everyone(pool, features, seats)
    if all_in is not None and seats > 0:
        # No lottery: every applicant gets a seat, whatever the maxima say.
        return {"selected": sorted(row[0] for row in pool), "waitlist": [], "algorithm_used": "everyone",
                "notes": [texts.EVERYONE_SELECTED.format(count=len(pool), seats=seats), *adjusted],
                "features_used": {name: {v: list(mm) for v, mm in values.items()} for name, values in all_in.items()},
                "min_probability": 1.0, "types": 0, "unselectable": [],
                "per_category": {category: 1.0 for category in sorted({row[1] for row in pool})}}
    found = problems(pool, features, seats)
    if found:
        raise EngineError(found)
    set_random_provider(seed)
    types = group_types(pool, features)
    emit(0.1, texts.STAGE_FEASIBLE)
    features, notes = selection_types.ensure_feasible(types, features, seats)
    notes = [*adjusted, *notes]
    fairness: dict = {"min_probability": None}
    if algorithm == "maximin" and job.get("collapse_types", True):
        lottery = selection_types.maximin(types, features, seats, emit)
        emit(0.92, texts.STAGE_DRAW)
        selected = _members_for_counts(types, lottery.drawn, seed)
        fairness = probabilities(types, features, lottery.per_type)
        notes += [texts.UNSELECTABLE.format(**row) for row in fairness["unselectable"]]
    else:
        emit(0.15, texts.STAGE_DRAW)
        selected = _library_draw(algorithm, types, features, seats, emit)
    emit(0.96, texts.STAGE_WAITLIST)
    waitlist = rank_waitlist(pool, selected, features, seed)
    return {
        "selected": sorted(selected), "waitlist": waitlist, "algorithm_used": algorithm, "notes": notes,
        "features_used": {name: {v: list(mm) for v, mm in values.items()} for name, values in features.items()},
        "types": len(types), **fairness,
    }


def probabilities(types: list[Type], features: Features, per_type: tuple[float, ...]) -> dict:
    """The lottery's figures over every applicant, from each type's probability.

    ``min_probability`` is the lowest over *every* applicant, so 0 when some
    cannot be selected at all; ``per_category`` the mean probability of each
    category's applicants; ``unselectable`` who has probability 0, by category,
    and why (Chinese).
    """
    position = list(features).index("category") if "category" in features else None
    expected: Counter = Counter()
    size: Counter = Counter()
    for group, probability in zip(types, per_type, strict=True):
        category = group.key[position] if position is not None else "全部"
        expected[category] += probability * group.size
        size[category] += group.size
    return {
        "min_probability": min(per_type, default=0.0),
        "per_category": {category: expected[category] / size[category] for category in sorted(size)},
        "unselectable": _unselectable(types, features, per_type),
    }


def _unselectable(types: list[Type], features: Features, per_type: tuple[float, ...]) -> list[dict]:
    """Applicants who sit on no valid panel, counted by category and reason."""
    names = list(features)
    found: Counter = Counter()
    for group, probability in zip(types, per_type, strict=True):
        if probability > 0:
            continue
        values = dict(zip(names, group.key, strict=True))
        category = values.get("category", "全部")
        if "category" in features and features["category"][category][1] == 0:
            reason = texts.REASON_CATEGORY_CAPPED
        elif "street" in features and features["street"][values["street"]][1] == 0:
            reason = texts.REASON_STREET_CAPPED.format(street=values["street"])
        else:
            reason = texts.REASON_NO_PLACE
        found[(category, reason)] += group.size
    return [{"category": category, "count": count, "reason": reason}
            for (category, reason), count in sorted(found.items())]


def _members_for_counts(types: list[Type], counts: tuple[int, ...], seed: int) -> list[int]:
    """Draw ``counts[i]`` members of each type uniformly, from a stream of the seed."""
    rng = random.Random(f"{seed}:members")
    chosen: list[int] = []
    for group, count in zip(types, counts, strict=True):
        chosen += rng.sample(group.members, count)
    return chosen


def _library_draw(algorithm: str, types: list[Type], features: Features, seats: int, emit: Emit) -> list[int]:
    """The library's own algorithms, person by person."""
    from sortition_algorithms import errors
    from sortition_algorithms.core import find_random_sample

    collection = library_features(features)
    people = library_people([(str(k), d) for k, d in _person_data(types, features)], collection)
    try:
        panels, _report = find_random_sample(
            collection, people, seats, [], selection_algorithm=algorithm,
            max_attempts=LEGACY_ATTEMPTS, progress_reporter=LibraryProgress(emit))
    except errors.InfeasibleQuotasError as error:
        # The library's suggestions are English lines; its relaxed table (``features``) is worded here.
        raise EngineError([texts.INFEASIBLE_SUGGESTION, *relaxation_notes(features, error.features)]) from error
    except errors.SelectionError as error:
        raise EngineError([texts.LEGACY_FAILED if algorithm == "legacy" else str(error)]) from error
    return [int(key) for key in panels[0]]


def relaxation_notes(features: Features, relaxed) -> list[str]:
    """How the library's relaxed FeatureCollection differs from ours, in Chinese."""
    notes = []
    for name, values in features.items():
        for value, (lo, hi) in values.items():
            new = relaxed[name][value]
            if new.min != lo:
                notes.append(texts.RELAXED_MIN.format(value=value, old=lo, new=new.min))
            if new.max != hi:
                notes.append(texts.RELAXED_MAX.format(value=value, old=hi, new=new.max))
    return notes


def rank_waitlist(pool: list, selected: list[int], features: Features, seed: int) -> list[int]:
    """The others in a seeded random order, those whose every value is still under its maximum first.

    Someone who can replace a dropout without breaking a maximum comes first;
    within each group the seed's shuffle decides.
    """
    chosen = set(selected)
    columns = {name: FEATURES.index(name) + 1 for name in features}
    taken = Counter((name, row[c]) for row in pool if row[0] in chosen for name, c in columns.items())
    others = sorted((row for row in pool if row[0] not in chosen), key=lambda r: r[0])
    random.Random(f"{seed}:waitlist").shuffle(others)

    def blocked(row) -> int:
        return int(any(taken[(name, row[c])] >= features[name][row[c]][1] for name, c in columns.items()))

    return [row[0] for row in sorted(others, key=blocked)]
