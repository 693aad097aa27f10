"""The search box's terms and the index grams a matching text must hold (no I/O)."""

from marketplace.domain import search


def test_terms_are_lower_case_words_and_at_most_five():
    assert search.terms("  书法  AI 入门 ") == ["书法", "ai", "入门"]
    assert search.terms("a b c d e f g") == ["a", "b", "c", "d", "e"]
    assert search.terms("") == []


def test_a_latin_word_needs_itself_and_a_chinese_term_its_pairs():
    assert search.query_grams("python3") == ["python3"]
    assert search.query_grams("书法培训") == ["书法", "培训", "法培"]
    assert search.query_grams("腰") == ["腰"]


def test_mixed_terms_need_the_pairs_of_each_chinese_run_and_nothing_else():
    # "学ai" matches "学ai绘画" where "ai" is no whole word of its own: only the Chinese part is indexed
    assert search.query_grams("学ai") == ["学"]
    assert search.query_grams("训（硬笔") == ["硬笔", "训"]


def test_terms_with_nothing_to_index_need_no_gram():
    assert search.query_grams("c++") == []
    assert search.query_grams("100%") == []
