"""The features of a free text in Chinese: its words (jieba), each weighted by how telling it is.

jieba's dictionary and its general-corpus IDF table ship inside its wheel, so nothing is fetched; loading
them takes about a second, so they are loaded once per process, on the first text, never at import (web
start-up stays fast). The corpus IDF makes everyday words ("想", "怎么", "一下") weigh little without a
hand-written stop list.
"""

import logging
import re
import threading
from collections import Counter

_lock = threading.Lock()
_loaded: tuple | None = None  # (jieba, corpus IDF by word, median IDF)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# Latin words that name things (Python, Scratch, AED, SQL); single letters say nothing.
_LATIN = re.compile(r"[a-z][a-z0-9+#]+")


def _segmenter() -> tuple:
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                import jieba
                import jieba.analyse

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                table = jieba.analyse.default_tfidf
                _loaded = (jieba, table.idf_freq, table.median_idf)
    return _loaded


def load() -> None:
    """Load the dictionary now (a worker or a benchmark, before its clock starts)."""
    _segmenter()


def features(text: str) -> Counter:
    """Words of two characters or more, and Latin words, of `text`, each weighted by its corpus IDF
    (relative to the median word's)."""
    jieba, idf, median = _segmenter()
    text = text.lower()
    found: Counter = Counter()
    for word in jieba.lcut_for_search(text):
        if len(word) > 1 and _CJK.fullmatch(word):
            found[word] += idf.get(word, median) / median
    for word in _LATIN.findall(text):
        found[word] += 1.0
    return found
