"""What quotas mean before anyone applies: the maximin lottery for an expected pool.

Coordinators choose the quotas when they announce an event; this runs the same
maximin over types as the draw (:mod:`services.selection.type_maximin`) on an
expected pool — a number of applicants per category, spread evenly over the
district's streets and towns when a street cap is asked for — and reports each
category's selection probability, the lowest over every applicant, which
quotas bind, and how long it took. Nothing is stored; nobody is drawn.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from services.participation.streets import STREETS, TOWNS
from services.selection import texts
from services.selection.engine import (
    EngineError,
    adjust_to_pool,
    everyone,
    group_types,
    probabilities,
    problems,
    resolve_features,
)
from services.selection.runs import InvalidRequest, default_quotas, is_default, normalise_quotas

MAX_POOL = 2_000_000  # an expected pool larger than this is a typing mistake
DISTRICT = (*STREETS, *TOWNS)  # where an expected pool is spread when streets are capped
PREVIEW_SEED = 20240101  # the covering panels' small random weights; any seed gives the same optimum


class PreviewImpossible(InvalidRequest):
    """No panel meets these quotas for this expected pool; ``messages`` say why (Chinese)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("；".join(messages))


@dataclass(frozen=True)
class Preview:
    """The maximin lottery's figures for an expected pool (probabilities are 0–1)."""

    seats: int
    pool: dict[str, int]
    street_cap: int | None
    min_probability: float
    per_category: dict[str, float]
    quotas: dict[str, list[int]]
    binding: dict[str, str]  # category → "min" | "max": the quota every lottery panel sits on
    streets_binding: bool
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict:
        """The JSON the CLI prints (``--json``)."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}

    def binding_lines(self) -> list[str]:
        """Which quotas bind, in Chinese."""
        lines = [texts.BINDS_MAX.format(value=value, hi=self.quotas[value][1]) if side == "max"
                 else texts.BINDS_MIN.format(value=value, lo=self.quotas[value][0])
                 for value, side in self.binding.items()]
        if self.streets_binding:
            lines.append(texts.BINDS_STREETS.format(cap=self.street_cap))
        return lines or [texts.BINDS_NONE]


def expected_pool(counts: dict[str, int], spread_over_streets: bool) -> list[tuple[int, str, str]]:
    """Synthetic applicants: ``counts[category]`` each, round-robin over the district when streets matter."""
    pool, number = [], 0
    for category, count in counts.items():
        for index in range(count):
            number += 1
            street = DISTRICT[index % len(DISTRICT)] if spread_over_streets else DISTRICT[0]
            pool.append((number, category, street))
    return pool


def preview(seats: int, counts: dict[str, int], *, quotas: dict | None = None, street_cap: int | None = None,
            seed: int = PREVIEW_SEED) -> Preview:
    """The maximin lottery for ``counts`` applicants per category; raises :class:`PreviewImpossible`."""
    from sortition_algorithms.utils import set_random_provider

    from services.selection import type_maximin

    started = time.perf_counter()
    counts = _checked_counts(seats, counts)
    typed = (quotas or {}).get("category")
    table = normalise_quotas(default_quotas(seats)["category"] | typed if typed else None, seats)
    if street_cap is not None:
        if street_cap < 0:
            raise InvalidRequest(texts.PREVIEW_BAD_CAP)
        table["street"] = {"*": [0, int(street_cap)]}
    pool = expected_pool(counts, street_cap is not None)
    features = resolve_features(table, pool, seats)
    features, notes = adjust_to_pool(pool, features, seats, default_quotas=is_default(table, seats))
    all_in = everyone(pool, features, seats)
    if all_in is not None:  # the draw too selects everyone without a lottery
        return Preview(seats=seats, pool=counts, street_cap=street_cap, min_probability=1.0,
                       per_category={value: 1.0 for value in sorted(counts)},
                       quotas={value: list(bounds) for value, bounds in all_in["category"].items()}, binding={},
                       streets_binding=False, seconds=time.perf_counter() - started,
                       notes=[texts.EVERYONE_SELECTED.format(count=len(pool), seats=seats), *notes])
    found = problems(pool, features, seats)
    if found:
        raise PreviewImpossible(found)
    set_random_provider(seed)
    types = group_types(pool, features)
    try:
        features, relaxed = type_maximin.ensure_feasible(types, features, seats)
    except EngineError as error:
        raise PreviewImpossible(error.messages) from error
    lottery = type_maximin.maximin(types, features, seats, lambda fraction, message: None)
    figures = probabilities(types, features, lottery.per_type)
    used = {value: list(bounds) for value, bounds in features["category"].items()}
    binding = {}
    for value, probability in figures["per_category"].items():
        expected, (lo, hi) = probability * counts[value], used[value]
        if expected >= hi - 1e-6 and hi < counts[value]:
            binding[value] = "max"
        elif expected <= lo + 1e-6 and lo > 0:
            binding[value] = "min"
    streets_binding = street_cap is not None and _streets_bind(types, lottery, street_cap)
    notes = [*notes, *relaxed, *(texts.UNSELECTABLE.format(**row) for row in figures["unselectable"])]
    return Preview(seats=seats, pool=counts, street_cap=street_cap, min_probability=figures["min_probability"],
                   per_category=figures["per_category"], quotas=used, binding=binding,
                   streets_binding=streets_binding, notes=notes, seconds=time.perf_counter() - started)


def _checked_counts(seats: int, counts: dict[str, int]) -> dict[str, int]:
    if seats <= 0:
        raise InvalidRequest(texts.NO_SEATS_PLAIN)
    if any(int(count) < 0 for count in counts.values()):
        raise InvalidRequest(texts.PREVIEW_NEGATIVE)
    clean = {str(category): int(count) for category, count in counts.items() if int(count) > 0}
    if not clean:
        raise InvalidRequest(texts.PREVIEW_EMPTY)
    if sum(clean.values()) > MAX_POOL:
        raise InvalidRequest(texts.PREVIEW_TOO_LARGE.format(limit=MAX_POOL))
    return clean


def _streets_bind(types, lottery, cap: int) -> bool:
    """Whether the lottery's expected count reaches the cap on some street that has more applicants."""
    expected: dict[str, float] = {}
    size: dict[str, int] = {}
    for group, probability in zip(types, lottery.per_type, strict=True):
        street = group.key[-1]
        expected[street] = expected.get(street, 0.0) + probability * group.size
        size[street] = size.get(street, 0) + group.size
    return any(expected[s] >= cap - 1e-6 and size[s] > cap for s in expected)
