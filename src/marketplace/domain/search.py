"""What the menu's search box asks of a listing's text, and which index grams must be there for it.

A listing's text is lower-cased; its grams (PostgreSQL's search_grams(), kept in a GIN-indexed column) are
every Chinese character and character pair of it and every whole Latin word (letters and digits). A Chinese
term matches any part of the text (Chinese has no spaces between words); a Latin word or number matches whole
words only, so "ai" finds "AI绘画" and "学AI" but not the "ai" inside "affairs".
"""

import re

MAX_TERMS = 5
ENGLISH_WORD = re.compile(r"[a-z0-9]+")
_CHINESE = re.compile(r"[\u4e00-\u9fff]+")


def terms(q: str) -> list[str]:
    """The search box's words, lower-cased: every one must match."""
    return [term for term in q.lower().split() if term][:MAX_TERMS]


def is_english_word(term: str) -> bool:
    return ENGLISH_WORD.fullmatch(term) is not None


def query_grams(term: str) -> list[str]:
    """Grams the text must hold if `term` matches it: the word itself for a Latin word; for other terms the
    pairs of each Chinese run (a lone character: itself). Necessary, not sufficient: the exact match is checked
    on the text after the index has narrowed the listings down. Empty when nothing can be indexed (say "c++")."""
    if is_english_word(term):
        return [term]
    grams: set[str] = set()
    for run in _CHINESE.findall(term):
        grams.update([run] if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
    return sorted(grams)
