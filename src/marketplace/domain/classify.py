"""Which category of the tree a free-text need belongs to: a pure score, learnt from what a market has.

Every category is described by its evidence — its names, its providers' skills, its listings' texts and
the needs curators filed there — as TF-IDF vectors of the texts' weighted words (domain/segment.py), each text
normalised so that a long description weighs no more than a name. A text is scored in two steps: its
domain (a root) by cosine similarity to everything under each domain, then, within that domain, each
category by similarity to its own evidence. Softmaxes turn the similarities into probabilities, and a
category's confidence is P(domain) × P(category | domain). Nothing here knows the seed tree: a market's
curators may rename, add or move categories, and each filed need counts from the next model on.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .categories import domain_of
from .category_vocabulary import words_for


class Source(StrEnum):
    """Where a piece of evidence comes from; names say most per word, a listing's prose least."""

    name = "name"
    skill = "skill"
    listing = "listing"
    need = "need"  # a need a curator filed or corrected there
    vocabulary = "vocabulary"  # the everyday words of its kind of category (domain/category_vocabulary.py)


WEIGHTS = {Source.name: 2.0, Source.skill: 1.5, Source.listing: 1.0, Source.need: 1.0, Source.vocabulary: 1.0}
# Softmax temperatures over cosine similarities (tuned on tests/data/needs_dev.tsv only).
DOMAIN_TEMPERATURE = 0.05
CATEGORY_TEMPERATURE = 0.05

Vector = dict[str, float]


@dataclass(frozen=True)
class Evidence:
    category_id: int
    text: str
    source: Source
    weight: float = 1.0  # e.g. the share of the category's providers who name a skill


@dataclass(frozen=True)
class Suggestion:
    category_id: int
    domain_id: int
    confidence: float  # 0–1: the probability that the category is right
    runner_up_id: int | None


def vocabulary_evidence(names: dict[int, list[str]]) -> list[Evidence]:
    """The colloquial words of the concepts each category's names (Chinese, English) call up."""
    return [
        Evidence(category_id, words, Source.vocabulary)
        for category_id, own in names.items()
        for words in words_for(own)
    ]


def _normalised(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def _cosine(query: Vector, vector: Vector) -> float:
    return sum(weight * vector.get(feature, 0.0) for feature, weight in query.items())


def _softmax(scores: dict[int, float], temperature: float) -> dict[int, float]:
    top = max(scores.values())
    exp = {k: math.exp((v - top) / temperature) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


class Classifier:
    """Built once per market and version of its evidence; classifying needs no I/O."""

    def __init__(
        self, parents: dict[int, int | None], evidence: Iterable[Evidence], features: Callable[[str], Counter]
    ):
        self.parents = dict(parents)
        self.features = features
        texts: dict[int, list[tuple[Counter, float]]] = defaultdict(list)
        for item in evidence:
            if item.category_id in self.parents:
                texts[item.category_id].append((features(item.text), WEIGHTS[item.source] * item.weight))
        # IDF over the categories' evidence: a feature every category has says nothing.
        document_frequency: Counter = Counter()
        for items in texts.values():
            document_frequency.update({f for counts, _ in items for f in counts})
        n = max(len(texts), 1)
        self.idf = {f: math.log((1 + n) / (1 + df)) + 0.1 for f, df in document_frequency.items()}
        own: dict[int, Vector] = {}
        for category_id, items in texts.items():
            total: Vector = defaultdict(float)
            for counts, weight in items:
                for feature, value in self._weighted(counts).items():
                    total[feature] += weight * value
            own[category_id] = total
        self.domains = sorted({domain_of(c, self.parents) for c in self.parents})
        members: dict[int, list[int]] = defaultdict(list)
        for category_id in self.parents:
            members[domain_of(category_id, self.parents)].append(category_id)
        self.members = {d: sorted(ids) for d, ids in members.items()}
        self.own = {c: _normalised(v) for c, v in own.items()}
        self.whole: dict[int, Vector] = {}
        for domain_id, ids in self.members.items():
            total = defaultdict(float)
            for category_id in ids:
                for feature, value in own.get(category_id, {}).items():
                    total[feature] += value
            self.whole[domain_id] = _normalised(total)

    def _weighted(self, counts: Counter) -> Vector:
        # sublinear in how often a feature occurs: a word said twice is not twice the evidence
        return _normalised({f: math.log1p(c) * self.idf[f] for f, c in counts.items() if f in self.idf})

    def ranking(self, text: str) -> list[tuple[int, float]]:
        """Every category with the probability that the text belongs there, best first."""
        if not self.domains:
            return []
        query = self._weighted(self.features(text))
        domains = _softmax({d: _cosine(query, self.whole[d]) for d in self.domains}, DOMAIN_TEMPERATURE)
        ranked = []
        for domain_id, p_domain in domains.items():
            within = {c: _cosine(query, self.own[c]) for c in self.members[domain_id] if c in self.own}
            if not within:  # a domain with no evidence of its own or below: the domain itself
                ranked.append((domain_id, p_domain))
                continue
            for category_id, p in _softmax(within, CATEGORY_TEMPERATURE).items():
                ranked.append((category_id, p_domain * p))
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked

    def classify(self, text: str) -> Suggestion | None:
        """The best category, its domain, the confidence and the best category outside its branch."""
        ranked = self.ranking(text)
        if not ranked:
            return None
        best, confidence = ranked[0]
        runner_up = next((c for c, _ in ranked[1:] if not self._related(c, best)), None)
        return Suggestion(best, domain_of(best, self.parents), round(confidence, 4), runner_up)

    def _related(self, a: int, b: int) -> bool:
        """One is above the other (or they are the same): not a different answer."""
        return a == b or self._above(a, b) or self._above(b, a)

    def _above(self, upper: int, lower: int) -> bool:
        seen = set()
        while (lower := self.parents.get(lower)) is not None and lower not in seen:
            if lower == upper:
                return True
            seen.add(lower)
        return False
