"""Which category of the tree a free-text need belongs to: a pure score, learnt from what a market has.

Every category is described by its evidence — its names, its providers' skills, its listings' texts, the
needs curators filed there, and the colloquial words its names call up (domain/category_vocabulary.py) —
as, for each feature of those texts (domain/segment.py), the weight of the evidence that has it, saturating
(m / (m + SATURATION): the tenth filed need saying "工资" adds little). A text's features are weighted by
jieba's corpus IDF and by an IDF over the categories; a category scores the share of that weight its
evidence accounts for (0–1), with no division by the evidence's length, so a category described at length
is not penalised as it is under cosine similarity. Words no category knows count in the text's weight
(UNKNOWN_SHARE), so a text the market knows little of scores low everywhere. A text is scored in two
steps: its domain (a root) by the same score over everything under each domain, then each category within
it. Softmaxes turn the scores into probabilities, and a category's confidence is P(domain) ×
P(category | domain). Nothing here knows the seed tree: a market's curators may rename, add or move
categories, and each filed need counts from the next model on.
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


WEIGHTS = {Source.name: 2.0, Source.skill: 1.5, Source.listing: 0.5, Source.need: 1.0, Source.vocabulary: 2.0}
# Tuned on tests/data/needs_dev.tsv only: the sources' weights; softmax temperatures over the scores (shares
# of a text's weight), chosen for the lowest log loss; the evidence at which a feature is half-known; the
# share of its weight an unknown feature keeps; the IDF floor.
DOMAIN_TEMPERATURE = 0.03
CATEGORY_TEMPERATURE = 0.05
SATURATION = 2.0
UNKNOWN_SHARE = 0.5
IDF_FLOOR = 0.1

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


def vocabulary_evidence(names: dict[int, list[str]], parents: dict[int, int | None]) -> list[Evidence]:
    """The colloquial words of the concepts each category's names (Chinese, English) call up. A concept that
    calls up a category and one below it ("岗位招聘" and "招聘会") goes to the one below only: the words say
    which category, not merely which branch."""
    called = {category_id: set(words_for(own)) for category_id, own in names.items()}
    below: dict[int, set[str]] = defaultdict(set)  # the concepts called up anywhere under a category
    for category_id, concepts in called.items():
        seen = {category_id}
        parent = parents.get(category_id)
        while parent is not None and parent not in seen:
            below[parent] |= concepts
            seen.add(parent)
            parent = parents.get(parent)
    return [
        Evidence(category_id, words, Source.vocabulary)
        for category_id, concepts in called.items()
        for words in sorted(concepts - below[category_id])
    ]


def _softmax(scores: dict[int, float], temperature: float) -> dict[int, float]:
    top = max(scores.values())
    exp = {k: math.exp((v - top) / temperature) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def _postings(mass: dict[int, dict[str, float]]) -> dict[str, list[tuple[int, float]]]:
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for key, features in mass.items():
        for feature, value in features.items():
            postings[feature].append((key, value / (value + SATURATION)))
    return dict(postings)


class Classifier:
    """Built once per market and version of its evidence; classifying needs no I/O."""

    def __init__(
        self, parents: dict[int, int | None], evidence: Iterable[Evidence], features: Callable[[str], Counter]
    ):
        self.parents = dict(parents)
        self.features = features
        # How much evidence a category has for each feature: the weights of the texts that contain it.
        mass: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for item in evidence:
            if item.category_id in self.parents:
                weight = WEIGHTS[item.source] * item.weight
                for feature in features(item.text):
                    mass[item.category_id][feature] += weight
        self.domains = sorted({domain_of(c, self.parents) for c in self.parents})
        members: dict[int, list[int]] = defaultdict(list)
        for category_id in self.parents:
            members[domain_of(category_id, self.parents)].append(category_id)
        self.members = {d: sorted(ids) for d, ids in members.items()}
        domain_mass: dict[int, dict[str, float]] = {}
        for domain_id, ids in self.members.items():
            total: dict[str, float] = defaultdict(float)
            for category_id in ids:
                for feature, value in mass.get(category_id, {}).items():
                    total[feature] += value
            domain_mass[domain_id] = total
        # IDF over the categories: a feature every category has says nothing; one no category has, the most.
        document_frequency: Counter = Counter(f for counts in mass.values() for f in counts)
        n = max(len(mass), 1)
        self.idf = {f: math.log((1 + n) / (1 + df)) + IDF_FLOOR for f, df in document_frequency.items()}
        self.unknown_idf = math.log(1 + n) + IDF_FLOOR
        # A category's strength for a feature saturates: the tenth text saying "工资" adds little. Kept by
        # feature (feature -> [(category, strength)]) so that a text costs its own features, not the tree's.
        self.own = _postings(mass)
        self.described = sorted(mass)  # the categories with evidence of their own
        self.whole = _postings(domain_mass)

    def _query(self, text: str) -> tuple[Vector, float]:
        """The text's features weighted by how telling they are, and the whole weight (unknown ones too)."""
        query: Vector = {}
        whole = 0.0
        for feature, value in self.features(text).items():
            weight = math.log1p(value)  # sublinear: a word said twice is not twice the evidence
            idf = self.idf.get(feature)
            if idf is None:
                whole += weight * self.unknown_idf * UNKNOWN_SHARE
            else:
                query[feature] = weight * idf
                whole += weight * idf
        return query, whole

    @staticmethod
    def _scores(query: Vector, whole: float, postings: dict, keys: Iterable[int]) -> dict[int, float]:
        """For each key, the share of the text's weight that its evidence accounts for (0–1)."""
        scores = dict.fromkeys(keys, 0.0)
        if not whole:
            return scores
        for feature, weight in query.items():
            for key, strength in postings.get(feature, ()):
                scores[key] += weight * strength
        return {key: score / whole for key, score in scores.items()}

    def ranking(self, text: str) -> list[tuple[int, float]]:
        """Every category with the probability that the text belongs there, best first."""
        if not self.domains:
            return []
        query, whole = self._query(text)
        domains = _softmax(self._scores(query, whole, self.whole, self.domains), DOMAIN_TEMPERATURE)
        scores = self._scores(query, whole, self.own, self.described)
        ranked = []
        for domain_id, p_domain in domains.items():
            within = {c: scores[c] for c in self.members[domain_id] if c in scores}
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
