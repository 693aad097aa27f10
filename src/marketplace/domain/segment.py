"""The features of a free text in Chinese: its words (jieba), each weighted by how telling it is, and its
character pairs, so that a word jieba does not know still meets its kin ("腰疼" and "腰疼病" share "腰疼").

jieba's dictionary and its general-corpus IDF table ship inside its wheel, so nothing is fetched; loading
them takes about a second, so they are loaded once per process, on the first text, never at import (web
start-up stays fast). The corpus IDF makes everyday words ("想", "怎么", "一下") weigh little without a
hand-written stop list. The colloquial words of domain/category_vocabulary.py are added to jieba's dictionary
(so "加班费" or "八段锦" stay one word), and its one-character words (娃, 腰) are kept where other single
characters are dropped.
"""

import logging
import re
import threading
from collections import Counter

_lock = threading.Lock()
_loaded: tuple | None = None  # (jieba, corpus IDF by word, median IDF, the single characters kept)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# Latin words that name things (Python, Scratch, AED, SQL); single letters say nothing.
_LATIN = re.compile(r"[a-z][a-z0-9+#]+")
# A character pair weighs this much of a word of median IDF (tuned on tests/data/needs_dev.tsv only); pairs
# live in their own namespace ("~" + pair) so a two-character word is not counted twice.
PAIR_WEIGHT = 0.15
PAIR = "~"


def _segmenter() -> tuple:
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                import jieba
                import jieba.analyse

                from .category_vocabulary import all_words

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                words = all_words()
                for word in sorted(words):
                    if len(word) > 1 and _CJK.fullmatch(word) and not jieba.dt.FREQ.get(word):
                        jieba.add_word(word)
                singles = frozenset(w for w in words if len(w) == 1 and _CJK.fullmatch(w))
                table = jieba.analyse.default_tfidf
                _loaded = (jieba, table.idf_freq, table.median_idf, singles)
    return _loaded


def load() -> None:
    """Load the dictionary now (a worker or a benchmark, before its clock starts)."""
    _segmenter()


def features(text: str) -> Counter:
    """Words of two characters or more (and the listed single ones), Latin words, and character pairs of
    `text`, each weighted by its corpus IDF (relative to the median word's)."""
    jieba, idf, median, singles = _segmenter()
    text = text.lower()
    found: Counter = Counter()
    for word in jieba.lcut_for_search(text):
        if (len(word) > 1 or word in singles) and _CJK.fullmatch(word):
            found[word] += idf.get(word, median) / median
    for word in _LATIN.findall(text):
        found[word] += 1.0
    if PAIR_WEIGHT:
        for run in _CJK.findall(text):
            for i in range(len(run) - 1):
                found[PAIR + run[i : i + 2]] += PAIR_WEIGHT
    return found
