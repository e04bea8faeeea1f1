"""The maximin over types is exact at any pool size, honest about who cannot be chosen, and words the library's errors.

Optimality is checked against :mod:`tests.services.selection.exact`, one LP
over type counts solved directly on HiGHS, on the benchmark's pools: default
category quotas, each street at most 4 of 30 seats.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.participation.applications import CATEGORIES
from services.participation.streets import ALL as STREETS
from services.selection import engine, texts, type_maximin
from tests.services.selection.exact import exact_maximin

SEATS = 30
WEIGHTS = [2, 2, 4, 3, 1, 6]  # as the benchmark: many 其他群众 and parents, few deputies and journalists


def make_pool(size: int, seed: int) -> list[tuple]:
    """``size`` applicants over the district's streets and towns, unevenly (as bench/selection.py)."""
    rng = random.Random(seed)
    street_weights = [rng.uniform(0.5, 3.0) for _ in STREETS]
    return [(n, rng.choices(CATEGORIES, WEIGHTS)[0], rng.choices(STREETS, street_weights)[0])
            for n in range(1, size + 1)]


def quotas() -> dict:
    from services import selection

    return {**selection.default_quotas(SEATS), "street": {"*": [0, 4]}}


def draw(pool: list, table: dict, seed: int = 7, seats: int = SEATS) -> dict:
    job = {"pool": pool, "quotas": table, "seats": seats, "seed": seed, "algorithm": "maximin"}
    return engine.compute(job, lambda fraction, message: None)


def exact(pool: list, table: dict, seats: int = SEATS) -> float:
    features = engine.resolve_features(table, pool, seats)
    features, _notes = engine.adjust_to_pool(pool, features, seats)
    return exact_maximin(engine.group_types(pool, features), features, seats)


def assert_optimal(size: int, pool_seed: int) -> None:
    pool = make_pool(size, pool_seed)
    result = draw(pool, quotas(), seed=1000 + pool_seed)
    optimum = exact(pool, quotas())
    assert result["unselectable"] == []
    assert result["min_probability"] == pytest.approx(optimum, rel=1e-9, abs=0)
    chosen = {row[0] for row in pool} & set(result["selected"])
    categories = Counter(row[1] for row in pool if row[0] in chosen)
    streets = Counter(row[2] for row in pool if row[0] in chosen)
    assert len(chosen) == SEATS and max(streets.values()) <= 4
    assert all(lo <= categories[v] <= hi for v, (lo, hi) in quotas()["category"].items())
    # Each category's mean probability is at least the lowest, and the expected panel has 30 seats.
    sizes = Counter(row[1] for row in pool)
    assert min(result["per_category"].values()) >= result["min_probability"] * (1 - 1e-9)
    assert sum(result["per_category"][c] * sizes[c] for c in sizes) == pytest.approx(SEATS)


@pytest.mark.parametrize("pool_seed", [1, 2, 3])
@pytest.mark.parametrize("size", [300, 5_000])
def test_maximin_reaches_the_exact_optimum(size, pool_seed):
    assert_optimal(size, pool_seed)


@pytest.mark.slow
@pytest.mark.parametrize("pool_seed", [1, 2, 3])
def test_maximin_reaches_the_exact_optimum_at_fifty_thousand(pool_seed):
    # The library's absolute tolerance (0.0005) stopped 3-5 % short on these pools: the optimum is about 0.00057.
    assert_optimal(50_000, pool_seed)


def test_the_stopping_rule_is_relative_to_the_bound():
    assert not type_maximin.converged([0.0003], (1,), 0.0003 * (1 - 1e-6))
    assert type_maximin.converged([0.0003], (1,), 0.0003 * (1 - 1e-10))
    assert type_maximin.converged([0.0], (0,), 0.0)


def test_same_seed_same_panel_and_waitlist_at_fifty_thousand_too():
    pool = make_pool(50_000, 4)
    first, again = draw(pool, quotas(), seed=99), draw(pool, quotas(), seed=99)
    assert first["selected"] == again["selected"] and first["waitlist"] == again["waitlist"]
    assert draw(pool, quotas(), seed=100)["selected"] != first["selected"]


# -- who can never be chosen -------------------------------------------------------------------------

def capped_pool() -> list[tuple]:
    """120 applicants of the five other categories and 8 journalists, spread over 12 streets."""
    others = [c for c in CATEGORIES if c != "媒体记者"]
    pool = [(n, others[n % 5], STREETS[(n // 5) % 12]) for n in range(1, 121)]
    return pool + [(200 + n, "媒体记者", STREETS[n % 12]) for n in range(8)]


def test_a_category_capped_at_zero_gives_its_applicants_probability_zero_and_says_why():
    table = quotas()
    table["category"]["媒体记者"] = [0, 0]
    result = draw(capped_pool(), table)
    assert result["min_probability"] == 0.0
    assert result["per_category"]["媒体记者"] == 0.0
    assert result["unselectable"] == [{"category": "媒体记者", "count": 8, "reason": "该类别的上限为 0"}]
    assert "“媒体记者”有 8 位报名者无法入选（入选概率为 0）：该类别的上限为 0" in result["notes"]
    assert all(p > 0 for c, p in result["per_category"].items() if c != "媒体记者")
    assert not set(result["selected"]) & {200 + n for n in range(8)}


def test_a_street_capped_at_zero_is_named_per_category():
    table = {**quotas(), "street": {"*": [0, 30], STREETS[0]: [0, 0]}}
    pool = capped_pool()
    result = draw(pool, table)
    on_street = Counter(row[1] for row in pool if row[2] == STREETS[0])
    assert result["min_probability"] == 0.0
    reason = f"其所在街镇“{STREETS[0]}”的上限为 0"
    assert result["unselectable"] == [{"category": c, "count": n, "reason": reason} for c, n in sorted(on_street.items())]


def test_applicants_crowded_out_by_other_minimums_are_named_too():
    pool = [(n, "人大代表", STREETS[0]) for n in range(1, 11)] + [(n, "其他群众", STREETS[1]) for n in range(11, 21)]
    table = {"category": {"人大代表": [5, 5], "其他群众": [0, 10]}}
    result = draw(pool, table, seats=5)
    assert result["unselectable"] == [{"category": "其他群众", "count": 10, "reason": texts.REASON_NO_PLACE}]
    assert result["per_category"] == {"人大代表": pytest.approx(0.5), "其他群众": 0.0}


def test_percentages_stay_readable_at_city_scale():
    assert texts.percent(0.0492) == "4.92%"
    assert texts.percent(0.000309286) == "0.03093%"
    assert texts.percent(0.0) == "0.00%"
    assert texts.percent(None) == "—"


# -- the library's infeasible-quotas error (it has ``features`` and ``all_lines``, no ``output``) -----

@pytest.mark.parametrize("algorithm", ["maximin", "nash"])
def test_the_library_s_infeasible_quotas_error_is_worded_not_a_crash(algorithm):
    pool = [(n, "人大代表" if n <= 10 else "其他群众", STREETS[0] if n <= 10 else STREETS[1]) for n in range(1, 41)]
    features = {"category": {"人大代表": (5, 10), "其他群众": (0, 30)},
                "street": {STREETS[0]: (0, 2), STREETS[1]: (0, 30)}}
    types = engine.group_types(pool, features)
    with pytest.raises(engine.EngineError) as caught:
        engine._library_draw(algorithm, types, features, 10, lambda fraction, message: None)
    assert caught.value.messages == ["配额无法同时满足，建议按以下最小调整放宽后重试：",
                                     f"“{STREETS[0]}”上限由 2 调整为 5"]
