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
    "完善 解决 尽快 及时 多多 一直 很多 不少 不够 不便 方便 市民 居民 群众 大家 我们家 孩子 老人 很大 太大 "
    "夏天 冬天 晚上 早上 每天 总是 老是 一次 两天 三天 多次 反映 处理 请问 帮忙 能不能 什么 怎么 为什么".split())
# Words of the district's services jieba's general dictionary splits or lacks.
DOMAIN_WORDS = ("清运", "垃圾分类", "人防", "人防工程", "防空警报", "接诉即办", "一网通办", "占道经营",
                "私搭乱建", "停车位", "停车难", "老旧小区", "营商环境", "社保卡", "养老保险", "失业保险", "劳动仲裁",
                "土地承包", "土地流转", "集体经济", "课后服务", "学位", "网格员", "井盖", "公厕", "预付卡", "食品安全",
                "招商引资", "中介机构", "帮办代办", "政务服务", "养老驿站", "加装电梯")
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
                for word in DOMAIN_WORDS:
                    jieba.add_word(word, freq=20000)
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
    pairs = [f"#{w[i:i + 2]}" for w in found for i in range(len(w) - 1)]
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
                shared = _shared_terms(common, query, vector)
                best[document.unit] = Match(document, score, shared)
        return sorted(best.values(), key=lambda m: -m.score)


def _shared_terms(common: set[str], query: dict[str, float], vector: dict[str, float]) -> tuple[str, ...]:
    """The heaviest shared words, then character pairs no shown word already contains (at most 4)."""
    shown: list[str] = []
    for term in sorted(common, key=lambda t: (t.startswith("#"), -query[t] * vector[t])):
        text = term.lstrip("#")
        if not any(text in word for word in shown):
            shown.append(text)
        if len(shown) == 4:
            break
    return tuple(shown)


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
