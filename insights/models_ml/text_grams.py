"""TextGrams: the sentiment model's vectoriser (insights/models_ml/sentiment.py), counts of each text's words, word
pairs and character n-grams in one sparse matrix. No Django.

Both fitting (which features occur in enough texts) and transforming (each text's counts) are set-based: a text's
features are those of its *terms* (its words, and its consecutive word pairs), so each distinct term's features
are looked up once, into a terms-by-features matrix, each text's terms are counted into a texts-by-terms matrix,
and their product, computed by scipy in C, holds every text's counts. Python touches each text once (to split it
into words) and each distinct term once, never each feature of each text: scikit-learn's vectorisers build and look
up every n-gram of every text in Python instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain

import numpy as np
import pandas as pd

_WORD = re.compile(r"\w+")
WORD_CACHE = 200_000  # words whose vocabulary ids are kept between calls (cleared when full)


class TextGrams:
    """Counts of each text's words, word pairs and character n-grams (3 and 4 within a word padded by spaces, as
    scikit-learn's `char_wb`), over one vocabulary of the features seen in at least `min_df` texts (the
    `max_features` most frequent)."""

    def __init__(self, lowest: int = 3, highest: int = 4, min_df: int = 2, max_features: int = 100_000):
        self.lowest, self.highest, self.min_df, self.max_features = lowest, highest, min_df, max_features
        self._cache: dict[str, list[int]] = {}

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in ("lowest", "highest", "min_df", "max_features")}

    def set_params(self, **params) -> TextGrams:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}  # rebuilt as texts come: not saved with the model

    def _word_features(self, word: str) -> list[str]:
        padded = f" {word} "
        grams = [padded[i : i + n] for n in range(self.lowest, self.highest + 1) for i in range(len(padded) - n + 1)]
        return [word, *grams]  # the word itself has no spaces, a character gram always has one or none: distinct

    def fit(self, texts, y=None) -> TextGrams:
        """Learn the vocabulary: every feature's document frequency from one product of sparse matrices."""
        self._fit(texts)
        return self

    def _fit(self, texts):
        """Learn the vocabulary; returns every feature's counts in each text (the product it was learned from) and
        the column there of each vocabulary feature, in vocabulary order."""
        names: dict[str, int] = {}

        def number(name: str) -> int:
            return names.setdefault(name, len(names))

        counts = _counts(texts, lambda word: [number(f) for f in self._word_features(word)], number, lambda: len(names))
        documents = np.bincount(counts.indices, minlength=len(names))  # a product's row holds each column once
        kept = sorted(
            (f for f, i in names.items() if documents[i] >= self.min_df), key=lambda f: (-documents[names[f]], f)
        )
        vocabulary = sorted(kept[: self.max_features])
        self.vocabulary_ = {f: i for i, f in enumerate(vocabulary)}
        self._cache = {}
        return counts, np.array([names[f] for f in vocabulary], dtype=np.int64)

    def _word_ids(self, word: str) -> list[int]:
        """The vocabulary ids of a word's features (the word and its character grams), cached between calls."""
        ids = self._cache.get(word)
        if ids is None:
            if len(self._cache) >= WORD_CACHE:
                self._cache.clear()
            vocabulary = self.vocabulary_
            ids = self._cache[word] = [vocabulary[f] for f in self._word_features(word) if f in vocabulary]
        return ids

    def transform(self, texts):
        """The counts as a sparse matrix, one row per text, one column per vocabulary feature."""
        vocabulary = self.vocabulary_
        return _counts(texts, self._word_ids, lambda pair: vocabulary.get(pair, -1), lambda: len(vocabulary))

    def fit_transform(self, texts, y=None):
        """`fit(texts).transform(texts)`, from the counts the vocabulary was learned from (the vocabulary's columns
        of them) instead of counting every text a second time."""
        counts, columns = self._fit(texts)
        return counts[:, columns].tocsr()


def _counts(texts, word_ids: Callable, pair_id: Callable, width: Callable):
    """Each text's feature counts (see the module doc): `word_ids(word)` gives a distinct word's feature columns,
    `pair_id("a  b")` a distinct word pair's column (-1: none; two spaces, so never a character gram), and
    `width()`, asked once the terms are looked up, the number of columns."""
    from scipy import sparse

    words_per_text = [_WORD.findall(text.lower()) for text in texts]
    lengths = np.fromiter(map(len, words_per_text), dtype=np.int64, count=len(words_per_text))
    total = int(lengths.sum())
    if not total:
        return sparse.csr_matrix((len(texts), width()))
    codes, words = pd.factorize(np.fromiter(chain.from_iterable(words_per_text), dtype=object, count=total))
    rows = np.repeat(np.arange(len(texts)), lengths)
    word_features = [word_ids(word) for word in words]
    pair_rows, pair_codes, pair_columns = _pairs(codes, rows, lengths, words, pair_id)
    sizes = np.fromiter(map(len, word_features), dtype=np.int64, count=len(words))
    indptr = np.concatenate([[0], np.cumsum(sizes), sizes.sum() + np.arange(1, len(pair_columns) + 1)])
    indices = np.concatenate(
        [np.fromiter(chain.from_iterable(word_features), dtype=np.int64, count=int(sizes.sum())), pair_columns]
    )
    terms = len(words) + len(pair_columns)
    features = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(terms, width()))
    features.sum_duplicates()  # a character gram may occur twice in a word: counted twice, as it should
    occurrences = sparse.csr_matrix(
        (
            np.ones(len(codes) + len(pair_codes)),
            (np.concatenate([rows, pair_rows]), np.concatenate([codes, len(words) + pair_codes])),
        ),
        shape=(len(texts), terms),
    )
    return occurrences @ features


def _pairs(codes: np.ndarray, rows: np.ndarray, lengths: np.ndarray, words: np.ndarray, pair_id: Callable):
    """The occurrences of word pairs (consecutive words of one text) that have a column: the text of each, its
    number among the distinct such pairs, and each distinct pair's column."""
    last = np.cumsum(lengths)[lengths > 0] - 1  # a text's last word starts no pair
    starts = np.ones(len(codes), dtype=bool)
    starts[last] = False
    starts = np.flatnonzero(starts)
    n = len(words)
    pair_codes, pairs = pd.factorize(codes[starts].astype(np.int64) * n + codes[starts + 1])
    columns = np.fromiter(
        (pair_id(f"{words[key // n]}  {words[key % n]}") for key in pairs.tolist()), dtype=np.int64, count=len(pairs)
    )
    known = np.flatnonzero(columns >= 0)
    renumbered = np.full(len(pairs), -1, dtype=np.int64)
    renumbered[known] = np.arange(len(known))
    found = renumbered[pair_codes]
    kept = found >= 0
    return rows[starts][kept], found[kept], columns[known]
