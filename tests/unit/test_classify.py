"""The classifier's pure scoring (domain/classify.py), on a made-up tree with a whitespace tokenizer, and
its accuracy on the labelled set of realistic needs (tests/data/needs_labelled.tsv) with jieba."""

from collections import Counter

from bench.classify import evaluate, labelled
from marketplace.domain.classify import Classifier, Evidence, Source
from marketplace.domain.segment import features

PARENTS = {1: None, 11: 1, 12: 1, 2: None, 21: 2}


def words(text: str) -> Counter:
    return Counter(text.split())


def tree_evidence() -> list[Evidence]:
    return [
        Evidence(1, "education", Source.name),
        Evidence(11, "calligraphy brush writing", Source.name),
        Evidence(12, "programming code scratch", Source.name),
        Evidence(2, "legal", Source.name),
        Evidence(21, "wages overtime contract", Source.listing),
    ]


def test_a_text_goes_to_the_category_whose_evidence_it_shares_with_its_domain():
    found = Classifier(PARENTS, tree_evidence(), words).classify("unpaid overtime wages")
    assert (found.category_id, found.domain_id) == (21, 2)
    assert 0.5 < found.confidence <= 1
    assert found.runner_up_id not in (21, 2)  # the runner-up is another answer, not the same branch


def test_confidence_is_low_when_nothing_is_shared_and_probabilities_sum_to_one():
    classifier = Classifier(PARENTS, tree_evidence(), words)
    ranking = classifier.ranking("something nobody wrote")
    assert abs(sum(p for _, p in ranking) - 1) < 1e-9
    assert classifier.classify("something nobody wrote").confidence < 0.5
    assert classifier.classify("brush writing").category_id == 11


def test_a_filed_need_teaches_its_category():
    text = "parking fees of the estate"
    before = Classifier(PARENTS, tree_evidence(), words).classify(text)
    taught = Classifier(PARENTS, [*tree_evidence(), Evidence(12, "estate parking fees", Source.need)], words)
    after = taught.classify(text)
    assert before.category_id != 12 and before.confidence < 0.5
    assert (after.category_id, after.domain_id) == (12, 1) and after.confidence > before.confidence


def test_evidence_of_unknown_or_archived_categories_is_ignored_and_an_empty_tree_suggests_nothing():
    archived = Classifier(PARENTS, [*tree_evidence(), Evidence(99, "parking fees", Source.need)], words)
    assert archived.classify("parking fees").category_id != 99
    assert Classifier({}, [], words).classify("anything") is None


def test_a_domain_without_evidence_below_is_its_own_answer():
    found = Classifier({5: None, 6: None}, [Evidence(5, "legal", Source.name)], words).ranking("legal")
    assert [c for c, _ in found] == [5, 6]


def test_jieba_features_weigh_telling_words_over_everyday_ones():
    found = features("公司拖欠加班费，想咨询一下怎么办 Python")
    assert found["加班费"] > found["一下"] > 0 and found["python"] == 1.0
    assert "，" not in found and "想" not in found  # punctuation and single characters are left out


# Measured on the labelled set (321 needs, never tuned on): cold 66.0 %, taught 74.5 % top-1 domain
# accuracy (python -m bench.classify). The thresholds sit about two standard errors (±2.5 points on
# 321 needs) below, so a change that makes the classifier worse fails here; one that keeps it passes.
COLD_AT_LEAST = 0.61
TAUGHT_AT_LEAST = 0.70


def test_domain_accuracy_on_the_labelled_needs_holds():
    rows = labelled("needs_labelled.tsv")
    assert len(rows) >= 300 and len({slug for slug, _ in rows}) == 20  # every seed category
    for taught, floor in ((False, COLD_AT_LEAST), (True, TAUGHT_AT_LEAST)):
        domains, _ = evaluate(rows, taught)
        accuracy = sum(t == p for t, p in domains) / len(domains)
        assert accuracy >= floor, (taught, accuracy)
