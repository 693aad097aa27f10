"""The classifier's pure scoring (domain/classify.py), on a made-up tree with a whitespace tokenizer; the
colloquial vocabulary (domain/category_vocabulary.py) and the segmenter with jieba; and the accuracy,
calibration and speed on the labelled set of realistic needs (tests/data/needs_labelled.tsv)."""

import time
from collections import Counter

from bench.classify import REVIEW_BELOW, evaluate, labelled, seed_market
from marketplace.domain import segment
from marketplace.domain.category_vocabulary import CONCEPTS, matches, words_for
from marketplace.domain.classify import Classifier, Evidence, Source, vocabulary_evidence
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


def test_the_segmenter_keeps_listed_single_characters_and_adds_character_pairs():
    found = features("我家娃三岁，腰也不好")
    assert found["娃"] > 0 and found["腰"] > 0  # listed in the vocabulary
    assert "家" not in found and "岁" not in found  # other single characters still say nothing
    assert found[segment.PAIR + "三岁"] == segment.PAIR_WEIGHT  # a pair across jieba's words
    assert found[segment.PAIR + "家娃"] == segment.PAIR_WEIGHT and "家娃" not in found


def test_a_concept_finds_its_categories_by_their_names_in_any_market():
    labour = next(c for c in CONCEPTS if "劳动争议" in c.anchors)
    assert matches(labour, ["劳动争议", "Labour disputes"])
    assert matches(labour, ["劳动纠纷调解", ""])  # a market's own name for it
    assert matches(labour, ["维权服务", "Labor rights"])  # by its English name alone
    assert not matches(labour, ["婚姻家事", "Family law"])
    ai = next(c for c in CONCEPTS if "人工智能" in c.anchors)
    assert matches(ai, ["新技术", "AI tools"]) and not matches(ai, ["应急救护", "First aid"])  # a word, not a part
    assert words_for(["插花艺术", "Flower arranging"]) == []  # a kind the vocabulary does not know: nothing


def test_a_concept_called_up_by_a_category_and_one_below_goes_below_only():
    names = {1: ["岗位招聘", "Jobs"], 11: ["招聘会", "Job fairs"], 12: ["插花", "Flowers"]}
    given = vocabulary_evidence(names, {1: None, 11: 1, 12: 1})
    recruiting = next(c for c in CONCEPTS if "招聘" in c.anchors).words
    assert [e.category_id for e in given if e.text == recruiting] == [11]
    # where nothing below calls it up, the category above keeps it
    alone = vocabulary_evidence({1: ["岗位招聘", "Jobs"], 12: ["插花", "Flowers"]}, {1: None, 12: 1})
    assert [e.category_id for e in alone if e.text == recruiting] == [1]


def test_the_vocabulary_carries_members_words_to_categories_named_in_officialese():
    parents = {1: None, 11: 1, 12: 1, 2: None, 21: 2}
    names = {1: ["法律咨询", "Legal"], 11: ["劳动争议", "Labour"], 12: ["婚姻家事", "Family law"]}
    names |= {2: ["医疗健康", "Health"], 21: ["心理咨询", "Counselling"]}
    evidence = [Evidence(c, name, Source.name) for c, own in names.items() for name in own]
    bare = Classifier(parents, evidence, features)
    taught = Classifier(parents, evidence + vocabulary_evidence(names, parents), features)
    assert {e.source for e in vocabulary_evidence(names, parents)} == {Source.vocabulary}
    for text, expected in (("老板三个月没发工资了", 11), ("晚上老是失眠，心里烦躁", 21), ("前夫不给孩子抚养费", 12)):
        assert bare.classify(text).confidence < 0.5  # the names alone share nothing with it
        found = taught.classify(text)
        assert found.category_id == expected and found.confidence >= 0.5, (text, found)


# Measured on the labelled set (321 needs, never tuned on; python -m bench.classify): cold 66.0 %, taught
# 74.5 % top-1 domain accuracy before the colloquial vocabulary and the share-of-weight score; cold 90.0 %,
# taught 91.3 % after. The thresholds sit about two standard errors (±3.3 points at 90 % on 321 needs) below,
# so a change that makes the classifier worse fails here; one that keeps it passes.
COLD_AT_LEAST = 0.865
TAUGHT_AT_LEAST = 0.88


def test_domain_accuracy_on_the_labelled_needs_holds():
    rows = labelled("needs_labelled.tsv")
    assert len(rows) >= 300 and len({slug for slug, _ in rows}) == 20  # every seed category
    for taught, floor in ((False, COLD_AT_LEAST), (True, TAUGHT_AT_LEAST)):
        domains, _ = evaluate(rows, taught)
        accuracy = sum(t == p for t, p in domains) / len(domains)
        assert accuracy >= floor, (taught, accuracy)


def test_the_confidence_makes_the_review_threshold_meaningful():
    _, leaves = evaluate(labelled("needs_labelled.tsv"), taught=False)
    right = [t == p for t, p, _ in leaves]
    held = [t == p for t, p, c in leaves if c < REVIEW_BELOW]
    passed = [t == p for t, p, c in leaves if c >= REVIEW_BELOW]
    overall = sum(right) / len(right)
    assert held and passed
    # what the queue holds back is wrong more often than the whole, what it lets pass right more often
    assert sum(held) / len(held) < overall < sum(passed) / len(passed)
    mean = sum(c for _, _, c in leaves) / len(leaves)
    assert abs(mean - overall) < 0.1  # on average the confidence says how often it is right


def test_500_texts_take_the_classifier_well_under_a_second():
    texts = [text for _, text in labelled("needs_labelled.tsv")]
    texts = (texts * 2)[:500]
    _, parents, _, evidence = seed_market()
    classifier = Classifier(parents, evidence, features)
    features("预热")  # jieba loaded (once per process, before the endpoint's first call)
    start = time.process_time()  # this process's CPU time: the other processes on the machine do not count
    found = [classifier.classify(text) for text in texts]
    assert time.process_time() - start < 0.5 and len(found) == 500
