"""Text similarity for suggestion triage: jieba words, TF-IDF cosine for routing, rapidfuzz for near-duplicates.

jieba loads its dictionary on first use (about 1.5 s), so this module imports it
lazily: only the scheduler's triage job, the console and the benchmark pay for
it, never the webhook. Everything here is plain data in, plain data out, so the
benchmark (``bench/bench_triage.py``) measures exactly what the service runs.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

_jieba = None
_jieba_lock = threading.Lock()
# Words that say nothing about the subject of a suggestion.
STOPWORDS = frozenset(
    "建议 希望 能否 可以 能够 是否 一下 一些 这个 那个 我们 你们 他们 我的 自己 进一步 相关 有关 问题 情况 "
    "目前 现在 现有 没有 不是 还是 就是 因为 所以 如果 但是 而且 以及 或者 然后 已经 非常 比较 特别 尤其 "
    "经常 时候 感觉 觉得 认为 谢谢 感谢 您好 你好 请问 麻烦 政府 部门 有关部门 相关部门 加强 增加 提高 "
    "完善 解决 尽快 及时 多多 一直 很多 不少 不够 不便 方便 市民 居民 群众 大家 我们家 孩子 老人".split())
TOKEN = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]+")


def _segmenter():
    """jieba, imported and its dictionary loaded on first use (thread-safe)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def words(text: str) -> list[str]:
    """The subject words of ``text``: jieba's words of two characters or more, without stop words."""
    found = []
    for part in TOKEN.findall(text or ""):
        for word in _segmenter().lcut(part):
            if len(word) >= 2 and word not in STOPWORDS and not word.isdigit():
                found.append(word)
    return found


def features(text: str) -> list[str]:
    """Words plus the character pairs inside them (so 停车位 and 停车场 still share 停车)."""
    found = words(text)
    pairs = [f"#{w[i:i + 2]}" for w in found if len(w) > 2 for i in range(len(w) - 1)]
    return found + pairs


@dataclass(frozen=True)
class Document:
    """One text the index compares against: a key (suggestion id or an event), the unit it belongs to."""

    key: str
    unit: str
    label: str  # what the reason names: a tracking number or an event title
    features: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """The nearest document of a unit, with the score and the words both texts share."""

    document: Document
    score: float
    shared: tuple[str, ...]


class Index:
    """TF-IDF vectors (log-scaled term frequency, smoothed IDF, L2-normalised) of a set of documents."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = list(documents)
        frequency: Counter = Counter()
        for document in self.documents:
            frequency.update(set(document.features))
        count = len(self.documents)
        self.idf = {term: math.log((1 + count) / (1 + seen)) + 1 for term, seen in frequency.items()}
        self.vectors = [self.vector(document.features) for document in self.documents]

    def vector(self, terms: Iterable[str]) -> dict[str, float]:
        """The normalised TF-IDF vector of ``terms`` (unknown terms weigh as the rarest)."""
        counts = Counter(terms)
        rare = math.log(1 + len(self.documents)) + 1
        weights = {t: (1 + math.log(n)) * self.idf.get(t, rare) for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def best_per_unit(self, terms: Iterable[str]) -> list[Match]:
        """For each unit, its most similar document; best first."""
        query = self.vector(terms)
        best: dict[str, Match] = {}
        for document, vector in zip(self.documents, self.vectors, strict=True):
            common = query.keys() & vector.keys()
            if not common:
                continue
            score = sum(query[t] * vector[t] for t in common)
            if document.unit not in best or score > best[document.unit].score:
                shared = tuple(sorted((t for t in common if not t.startswith("#")),
                                      key=lambda t: -query[t] * vector[t])[:4])
                best[document.unit] = Match(document, score, shared)
        return sorted(best.values(), key=lambda m: -m.score)


def unit_scores(index: Index, terms: list[str], neighbours: int = 3) -> list[tuple[str, float, Match]]:
    """Units ranked by the sum of their ``neighbours`` most similar documents (a k-nearest-neighbour vote)."""
    query = index.vector(terms)
    per_unit: dict[str, list[float]] = {}
    for document, vector in zip(index.documents, index.vectors, strict=True):
        common = query.keys() & vector.keys()
        if common:
            per_unit.setdefault(document.unit, []).append(sum(query[t] * vector[t] for t in common))
    best = {match.document.unit: match for match in index.best_per_unit(terms)}
    ranked = [(unit, sum(sorted(scores, reverse=True)[:neighbours]), best[unit]) for unit, scores in per_unit.items()]
    return sorted(ranked, key=lambda row: -row[1])


def duplicate_score(first: list[str], second: list[str]) -> float:
    """How alike two suggestions' words are, 0–1 (rapidfuzz token-set ratio, words sorted, stop words out)."""
    if not first or not second:
        return 0.0
    return fuzz.token_set_ratio(" ".join(sorted(set(first))), " ".join(sorted(set(second)))) / 100.0
