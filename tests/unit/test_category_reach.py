"""Who may serve what is filed under a category (domain/categories.py): pure, no I/O."""

from marketplace.domain.categories import reach

# 法律咨询 (1) > 劳动法 (2) > 工伤 (4); 法律咨询 > 婚姻家事 (3); 医疗健康 (5)
PARENTS = {1: None, 2: 1, 3: 1, 4: 2, 5: None}


def test_a_domain_reaches_every_category_below_it_and_nothing_beside_it():
    domain = reach(1, PARENTS)
    assert domain.path == (1,) and domain.below == {2, 3, 4}
    assert domain.ids == {1, 2, 3, 4}


def test_a_sub_category_reaches_up_to_its_domain_and_down_its_own_branch():
    labour = reach(2, PARENTS)
    assert labour.path == (2, 1) and labour.below == {4}
    assert 3 not in labour.ids and 5 not in labour.ids  # a sibling is not its provider's
    assert reach(4, PARENTS).path == (4, 2, 1) and reach(4, PARENTS).below == frozenset()


def test_a_broken_tree_never_hangs():
    looped = {1: 2, 2: 1}
    assert reach(1, looped).path == (1, 2) and reach(1, looped).below == {2}
